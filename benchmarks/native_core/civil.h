/* Civil-date arithmetic (proleptic Gregorian, days counted from 1970-01-01) the native-core
 * instruments share: skeleton.c turns a datetime's fields into days; columns.h's date_label (for
 * columns.c, checked.c and pgcopy.c) turns local days back into a date for the day and month labels.
 */
#ifndef GRIDPOINTS_NATIVE_CIVIL_H
#define GRIDPOINTS_NATIVE_CIVIL_H

/* Days from 1970-01-01 to a proleptic Gregorian date (civil calendar arithmetic). */
static inline long long days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The date ``days`` after 1970-01-01: the inverse of days_from_civil. */
static inline void civil_from_days(long long days, int *y, int *m, int *d) {
    days += 719468;
    long long era = (days >= 0 ? days : days - 146096) / 146097;
    long long doe = days - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

#endif
