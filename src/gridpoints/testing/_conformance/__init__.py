"""The parts of the store conformance suite, one module per concern; the public class that
assembles them is ``gridpoints.testing.stores.StoreConformance``."""
