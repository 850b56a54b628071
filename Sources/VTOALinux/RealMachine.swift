#if canImport(Glibc)
import Glibc
#endif
import VTOACore

extension Machine {
    /// The machine itself (or the tree under `root` for the files vtoa reads).
    public static func real(root: String = "/", configPath: String = VTOAConfig.defaultPath) -> Machine {
        let facts = HostFacts(root: root)
        let modules: Result<ModuleControl, VTOAError>
        do throws(VTOAError) { modules = .success(try KmodModuleControl()) } catch { modules = .failure(error) }
        let loader = ProcessEBPFBackend.findLoader(environment: getenv("VTOA_BPF_LOADER").map { String(cString: $0) })
        return Machine(facts: facts, modules: modules, services: SystemdServiceControl(facts: facts),
                    dkms: ProcessDKMS(), ebpf: ProcessEBPFBackend(loader: loader), modulesForKernel: { release in
                        do throws(VTOAError) {
                            return .success(try KmodModuleControl(directory: "/lib/modules/" + release))
                        } catch {
                            return .failure(error)
                        }
                    }, configPath: configPath)
    }
}
