import ArgumentParser
import VTOACore

/// `vtoa config check|show`: the configuration as `vtoa load` reads it.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check the configuration file, or show the parameters vtoa load would set.",
        subcommands: [ConfigCheckCommand.self, ConfigShowCommand.self])
}

struct ConfigCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the configuration like 'nginx -t': print the effective parameters (kernel policy and file) and exit 0, or name the bad line and exit 12.")

    @OptionGroup var common: ConfigFileOptions

    func run() throws {
        let e = try common.host().effectiveConfig()
        out("\(e.configPath): \(e.fileExists ? "ok" : "not there, all defaults")\n" + e.text)
    }
}

struct ConfigShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show each parameter vtoa load would set, where its value comes from (file, policy, default) and, when the module is loaded, what it has now.")

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var common: ConfigFileOptions

    func run() throws {
        let e = try common.host().effectiveConfig()
        out(json ? e.json.render() + "\n" : e.text)
    }
}
