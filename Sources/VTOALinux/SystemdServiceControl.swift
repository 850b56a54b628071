#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSystemd
import VTOACore

/// Owns an sd_bus connection (`sd_bus_flush_close_unref` in deinit).
public final class SystemBus {
    let bus: OpaquePointer

    /// Connects to the system bus, or to `address` (a D-Bus address such as
    /// "unix:path=/run/dbus/system_bus_socket") when given.
    public init(address: String? = nil) throws(VTOAError) {
        var b: OpaquePointer?
        var r: Int32
        if let address {
            r = sd_bus_new(&b)
            if r >= 0, let nb = b {
                r = address.withCString { sd_bus_set_address(nb, $0) }
                if r >= 0 { r = sd_bus_set_bus_client(nb, 1) }
                if r >= 0 { r = sd_bus_start(nb) }
                if r < 0 { sd_bus_unref(nb); b = nil }
            }
        } else {
            r = sd_bus_open_system(&b)
        }
        guard r >= 0, let b else {
            throw .busUnavailable(reason: String(cString: strerror(-(r < 0 ? r : -ENOMEM))))
        }
        bus = b
    }

    deinit { sd_bus_flush_close_unref(bus) }
}

/// The result of a D-Bus call's sd_bus_error, turned into a VTOAError.
func busFailure(_ r: Int32, _ error: inout sd_bus_error, what: String, unit: String? = nil) -> VTOAError {
    defer { sd_bus_error_free(&error) }
    let name = error.name.map { String(cString: $0) } ?? ""
    let message = error.message.map { String(cString: $0) } ?? String(cString: strerror(-r))
    switch name {
    case "org.freedesktop.DBus.Error.AccessDenied",
         "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired":
        return .busRefused(reason: "\(what): \(message)")
    case "org.freedesktop.systemd1.NoSuchUnit", "org.freedesktop.DBus.Error.FileNotFound":
        if let unit { return .noSuchUnit(unit) }
        return .busUnavailable(reason: "\(what): \(message)")
    case "org.freedesktop.DBus.Error.ServiceUnknown",
         "org.freedesktop.DBus.Error.NoReply",
         "org.freedesktop.DBus.Error.Disconnected":
        return .busUnavailable(reason: "\(what): \(message)")
    default:
        if -r == EACCES || -r == EPERM { return .busRefused(reason: "\(what): \(message)") }
        return .busUnavailable(reason: "\(what): \(message)")
    }
}

/// Collects the JobRemoved signal of one job.
final class JobWatch {
    var jobPath: String?
    var finished: [String: String] = [:]   // job path -> result
}

/// ServiceControl over sd-bus and org.freedesktop.systemd1.Manager.
public final class SystemdServiceControl: ServiceControl {
    let facts: SystemFacts
    let address: String?
    var connection: SystemBus?
    /// How long to wait for a job.
    public var timeoutSeconds: Double = 90

    /// `facts` tells whether systemd runs (/run/systemd/system, as
    /// sd_booted() checks); `address` overrides the system bus address.
    public init(facts: SystemFacts, address: String? = nil) {
        self.facts = facts
        self.address = address
    }

    func bus() throws(VTOAError) -> SystemBus {
        if let connection { return connection }
        guard facts.exists("/run/systemd/system") else {
            throw .noSystemd(reason: "no /run/systemd/system")
        }
        let b = try SystemBus(address: address)
        connection = b
        return b
    }

    func unitPath(_ unit: String, _ bus: SystemBus) throws(VTOAError) -> String {
        var err = vtoa_bus_error_null()
        var out: UnsafeMutablePointer<CChar>?
        let r = vtoa_bus_call_s_ss_o(bus.bus, "LoadUnit", unit, nil, &err, &out)
        guard r >= 0, let out else { throw busFailure(r, &err, what: "LoadUnit \(unit)", unit: unit) }
        defer { free(out) }
        return String(cString: out)
    }

    func property(_ bus: SystemBus, _ path: String, _ iface: String, _ name: String) throws(VTOAError) -> String {
        var err = vtoa_bus_error_null()
        var out: UnsafeMutablePointer<CChar>?
        let r = sd_bus_get_property_string(bus.bus, "org.freedesktop.systemd1", path, iface, name, &err, &out)
        guard r >= 0, let out else { throw busFailure(r, &err, what: "\(name) of \(path)") }
        defer { free(out) }
        return String(cString: out)
    }

    public func state(of unit: String) throws(VTOAError) -> UnitState {
        let b = try bus()
        let path = try unitPath(unit, b)
        let iface = "org.freedesktop.systemd1.Unit"
        return UnitState(
            loadState: try property(b, path, iface, "LoadState"),
            activeState: try property(b, path, iface, "ActiveState"),
            subState: try property(b, path, iface, "SubState"),
            unitFileState: (try? property(b, path, iface, "UnitFileState")) ?? "")
    }

    public func run(_ job: UnitJob, unit: String) throws(VTOAError) -> String {
        let b = try bus()
        let st = try state(of: unit)
        guard st.exists else { throw .noSuchUnit(unit) }

        let watch = JobWatch()
        let box = Unmanaged.passRetained(watch)
        defer { box.release() }
        var slot: OpaquePointer?
        let handler: sd_bus_message_handler_t = { message, userdata, _ in
            guard let message, let userdata else { return 0 }
            let w = Unmanaged<JobWatch>.fromOpaque(userdata).takeUnretainedValue()
            var job: UnsafePointer<CChar>?
            var unit: UnsafePointer<CChar>?
            var result: UnsafePointer<CChar>?
            if vtoa_bus_read_job_removed(message, &job, &unit, &result) >= 0, let job, let result {
                w.finished[String(cString: job)] = String(cString: result)
            }
            return 0
        }
        var r = sd_bus_match_signal(b.bus, &slot, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                    "org.freedesktop.systemd1.Manager", "JobRemoved", handler, box.toOpaque())
        guard r >= 0 else { throw .busUnavailable(reason: "cannot watch JobRemoved: \(String(cString: strerror(-r)))") }
        defer { sd_bus_slot_unref(slot) }
        var err = vtoa_bus_error_null()
        r = vtoa_bus_call_void(b.bus, "Subscribe", &err)
        if r < 0 { sd_bus_error_free(&err) }  // already subscribed is fine

        err = vtoa_bus_error_null()
        var out: UnsafeMutablePointer<CChar>?
        r = vtoa_bus_call_s_ss_o(b.bus, job.rawValue, unit, "replace", &err, &out)
        guard r >= 0, let out else { throw busFailure(r, &err, what: "\(job.rawValue) \(unit)", unit: unit) }
        let jobPath = String(cString: out)
        free(out)

        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let end = Double(deadline.tv_sec) + Double(deadline.tv_nsec) / 1e9 + timeoutSeconds
        while watch.finished[jobPath] == nil {
            let p = sd_bus_process(b.bus, nil)
            if p < 0 { throw .busUnavailable(reason: "lost the bus while waiting for \(jobPath): \(String(cString: strerror(-p)))") }
            if p > 0 { continue }
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let left = end - (Double(now.tv_sec) + Double(now.tv_nsec) / 1e9)
            if left <= 0 { throw .jobFailed(unit: unit, operation: job.verb, result: "timeout after \(Int(timeoutSeconds))s (job \(jobPath) still queued)") }
            _ = sd_bus_wait(b.bus, UInt64(min(left, 1.0) * 1_000_000))
        }
        let result = watch.finished[jobPath] ?? "unknown"
        if result != "done" { throw .jobFailed(unit: unit, operation: job.verb, result: result) }
        return result
    }

    public func setEnabled(_ enabled: Bool, unit: String) throws(VTOAError) -> [UnitFileChange] {
        let b = try bus()
        var err = vtoa_bus_error_null()
        var reply: OpaquePointer?
        var r = vtoa_bus_unit_files(b.bus, enabled ? 1 : 0, unit, &err, &reply)
        guard r >= 0, let reply else {
            throw busFailure(r, &err, what: enabled ? "EnableUnitFiles \(unit)" : "DisableUnitFiles \(unit)", unit: unit)
        }
        defer { sd_bus_message_unref(reply) }
        var changes: [UnitFileChange] = []
        if vtoa_bus_enter_changes(reply) > 0 {
            while true {
                var t: UnsafePointer<CChar>?, f: UnsafePointer<CChar>?, d: UnsafePointer<CChar>?
                guard vtoa_bus_read_change(reply, &t, &f, &d) > 0, let t, let f, let d else { break }
                changes.append(UnitFileChange(type: String(cString: t), file: String(cString: f), destination: String(cString: d)))
            }
            sd_bus_message_exit_container(reply)
        }
        err = vtoa_bus_error_null()
        r = vtoa_bus_call_void(b.bus, "Reload", &err)
        guard r >= 0 else { throw busFailure(r, &err, what: "Reload") }
        return changes
    }
}
