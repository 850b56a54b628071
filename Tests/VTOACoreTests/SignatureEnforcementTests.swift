import Testing
@testable import VTOACore

@Suite struct SignatureEnforcementDetection {
    let sb = SignatureEnforcement.secureBootVariable

    @Test func nothingEnforcedOnAPlainMachine() {
        let w = World()
        #expect(!SignatureEnforcement.detect(w.facts).enforced)
        w.facts.files["/sys/kernel/security/lockdown"] = "[none] integrity confidentiality\n"
        w.facts.files["/sys/module/module/parameters/sig_enforce"] = "N\n"
        w.facts.files[sb] = "\u{06}\u{0}\u{0}\u{0}\u{0}"
        #expect(SignatureEnforcement.detect(w.facts).reasons == [])
    }

    @Test func eachSourceIsNamed() {
        let w = World()
        w.facts.files[sb] = "\u{06}\u{0}\u{0}\u{0}\u{1}"
        #expect(SignatureEnforcement.detect(w.facts).reasons == ["Secure Boot"])
        w.facts.files["/sys/kernel/security/lockdown"] = "none [integrity] confidentiality\n"
        w.facts.files["/sys/module/module/parameters/sig_enforce"] = "Y\n"
        let e = SignatureEnforcement.detect(w.facts)
        #expect(e.reasons == ["Secure Boot", "lockdown=integrity", "module.sig_enforce=1"])
        #expect(e.description == "Secure Boot, lockdown=integrity, module.sig_enforce=1")
        w.facts.files[sb] = nil
        w.facts.files["/sys/kernel/security/lockdown"] = "none integrity [confidentiality]\n"
        #expect(SignatureEnforcement.detect(w.facts).reasons == ["lockdown=confidentiality", "module.sig_enforce=1"])
    }

    @Test func aShortSecureBootVariableIsNotSecureBoot() {
        let w = World()
        w.facts.files[sb] = "\u{1}"
        #expect(!SignatureEnforcement.detect(w.facts).enforced)
    }
}

@Suite struct SignatureEnforcementLoad {
    func enforcing(_ w: World) {
        w.facts.files["/sys/module/module/parameters/sig_enforce"] = "Y\n"
    }

    @Test func unsignedModuleIsNotInsertedAndSaysWhatToDo() {
        let w = World()
        enforcing(w)
        w.modules.files["vtoa"] = ModuleFile(path: "/lib/modules/6.1.0-28-amd64/updates/dkms/vtoa.ko")
        let e = VTOAError.moduleSignatureRequired(name: "vtoa", enforcement: "module.sig_enforce=1",
                                                  detail: "(/lib/modules/6.1.0-28-amd64/updates/dkms/vtoa.ko) is not signed")
        #expect(throws: e) { try w.machine.load(force: false) }
        #expect(w.modules.inserted.isEmpty)
        #expect(e.exitCode == 25)
        #expect(e.message.contains("mokutil --import /var/lib/dkms/mok.pub"))
        #expect(!e.message.contains("\n"))
        #expect(ExitStatus.table.contains { $0.code == 25 })
    }

    @Test func signedModuleIsTriedAndARefusalIsNamed() {
        let w = World()
        enforcing(w)
        w.modules.files["vtoa"] = ModuleFile(path: "/x/vtoa.ko", signer: "DKMS module signing key")
        w.modules.insertError = .moduleOperationFailed(operation: "insert", name: "vtoa", reason: "Key was rejected by service")
        #expect(throws: VTOAError.moduleSignatureRequired(name: "vtoa", enforcement: "module.sig_enforce=1",
                                                          detail: "was refused (Key was rejected by service)")) {
            try w.machine.load(force: false)
        }
    }

    @Test func withoutEnforcementAnUnsignedModuleLoads() throws {
        let w = World()
        w.modules.files["vtoa"] = ModuleFile(path: "/x/vtoa.ko")
        _ = try w.machine.load(force: false)
        #expect(w.modules.inserted.map(\.0) == ["vtoa"])
    }

    @Test func withoutEnforcementAnInsertFailureStaysWhatItWas() {
        let w = World()
        w.modules.insertError = .moduleOperationFailed(operation: "insert", name: "vtoa", reason: "Invalid argument")
        #expect(throws: VTOAError.moduleOperationFailed(operation: "insert", name: "vtoa", reason: "Invalid argument")) {
            try w.machine.load(force: false)
        }
    }
}
