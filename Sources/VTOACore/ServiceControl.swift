/// A systemd unit's state as its D-Bus properties give it.
public struct UnitState: Equatable, Sendable {
    public var loadState: String      // loaded, not-found, masked, ...
    public var activeState: String    // active, inactive, failed, activating, ...
    public var subState: String       // running, exited, dead, ...
    public var unitFileState: String  // enabled, disabled, static, ...

    public init(loadState: String, activeState: String, subState: String, unitFileState: String) {
        self.loadState = loadState
        self.activeState = activeState
        self.subState = subState
        self.unitFileState = unitFileState
    }

    public var exists: Bool { loadState != "not-found" }
    public var isActive: Bool { activeState == "active" || activeState == "reloading" }
    public var isEnabled: Bool { unitFileState.hasPrefix("enabled") || unitFileState == "static" || unitFileState == "alias" }
}

public enum UnitJob: String, Sendable, CaseIterable {
    case start = "StartUnit"
    case stop = "StopUnit"
    case restart = "RestartUnit"

    public var verb: String {
        switch self {
        case .start: return "start"
        case .stop: return "stop"
        case .restart: return "restart"
        }
    }
}

/// One change EnableUnitFiles/DisableUnitFiles made: ("symlink", from, to).
public struct UnitFileChange: Equatable, Sendable {
    public var type: String
    public var file: String
    public var destination: String

    public init(type: String, file: String, destination: String) {
        self.type = type
        self.file = file
        self.destination = destination
    }
}

/// Driving systemd (sd-bus in production).
public protocol ServiceControl: AnyObject {
    /// The unit's state. Throws `.noSystemd`, `.busUnavailable`, `.busRefused`.
    func state(of unit: String) throws(VTOAError) -> UnitState
    /// Queues the job and waits for it; returns the job result ("done", ...).
    func run(_ job: UnitJob, unit: String) throws(VTOAError) -> String
    /// EnableUnitFiles / DisableUnitFiles followed by a daemon Reload.
    func setEnabled(_ enabled: Bool, unit: String) throws(VTOAError) -> [UnitFileChange]
}

public let vtoaUnit = "vtoa.service"
