#ifndef VTOA_CSYSTEMD_SHIM_H
#define VTOA_CSYSTEMD_SHIM_H
/*
 * sd-bus for Swift. Swift cannot call C variadic functions, so the few
 * sd_bus_call_method()/sd_bus_message_read() calls vtoa needs are wrapped
 * here in fixed-signature static inline functions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#define VTOA_SD_DEST  "org.freedesktop.systemd1"
#define VTOA_SD_PATH  "/org/freedesktop/systemd1"
#define VTOA_SD_MGR   "org.freedesktop.systemd1.Manager"

/* A zeroed sd_bus_error (SD_BUS_ERROR_NULL). */
static inline sd_bus_error vtoa_bus_error_null(void) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    return e;
}

/* Manager method taking (s) or (ss) and returning (o); *out is malloc'd. */
static inline int vtoa_bus_call_s_ss_o(sd_bus *bus, const char *method,
                                       const char *arg1, const char *arg2,
                                       sd_bus_error *err, char **out) {
    sd_bus_message *reply = NULL;
    const char *path = NULL;
    int r;
    *out = NULL;
    if (arg2)
        r = sd_bus_call_method(bus, VTOA_SD_DEST, VTOA_SD_PATH, VTOA_SD_MGR,
                               method, err, &reply, "ss", arg1, arg2);
    else
        r = sd_bus_call_method(bus, VTOA_SD_DEST, VTOA_SD_PATH, VTOA_SD_MGR,
                               method, err, &reply, "s", arg1);
    if (r < 0)
        return r;
    r = sd_bus_message_read(reply, "o", &path);
    if (r >= 0) {
        *out = strdup(path);
        if (!*out)
            r = -ENOMEM;
    }
    sd_bus_message_unref(reply);
    return r;
}

/* Manager method without arguments or results (Reload, Subscribe). */
static inline int vtoa_bus_call_void(sd_bus *bus, const char *method,
                                     sd_bus_error *err) {
    return sd_bus_call_method(bus, VTOA_SD_DEST, VTOA_SD_PATH, VTOA_SD_MGR,
                              method, err, NULL, "");
}

/*
 * EnableUnitFiles(as files, b runtime, b force) -> (b, a(sss))
 * DisableUnitFiles(as files, b runtime)         -> (a(sss))
 * The reply is handed back positioned at the a(sss) array.
 */
static inline int vtoa_bus_unit_files(sd_bus *bus, int enable, const char *unit,
                                      sd_bus_error *err, sd_bus_message **reply) {
    int r, carries = 0;
    *reply = NULL;
    if (enable)
        r = sd_bus_call_method(bus, VTOA_SD_DEST, VTOA_SD_PATH, VTOA_SD_MGR,
                               "EnableUnitFiles", err, reply, "asbb", 1, unit, 0, 1);
    else
        r = sd_bus_call_method(bus, VTOA_SD_DEST, VTOA_SD_PATH, VTOA_SD_MGR,
                               "DisableUnitFiles", err, reply, "asb", 1, unit, 0);
    if (r < 0)
        return r;
    if (enable) {
        r = sd_bus_message_read(*reply, "b", &carries);
        if (r < 0) {
            *reply = sd_bus_message_unref(*reply);
            return r;
        }
    }
    return 0;
}

/* Next (type, file, destination) of an a(sss) change list: 1 read, 0 end. */
static inline int vtoa_bus_read_change(sd_bus_message *m, const char **type,
                                       const char **file, const char **dest) {
    return sd_bus_message_read(m, "(sss)", type, file, dest);
}

static inline int vtoa_bus_enter_changes(sd_bus_message *m) {
    return sd_bus_message_enter_container(m, 'a', "(sss)");
}

/* JobRemoved(u id, o job, s unit, s result) */
static inline int vtoa_bus_read_job_removed(sd_bus_message *m, const char **job,
                                            const char **unit, const char **result) {
    uint32_t id = 0;
    return sd_bus_message_read(m, "uoss", &id, job, unit, result);
}

#endif
