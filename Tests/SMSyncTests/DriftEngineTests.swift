import Testing

@testable import SMSync

@Suite("Drift: diff and policy")
struct DriftEngineTests {
    static let python3 = """
        name: python3
        dependencies:
          - numpy=1.14.3
          - pandas==0.24.2
          - scipy>=1.1,<2
          - python=3.6.5
          - matplotlib=3.0.3
          - seaborn=0.8.1
          - ipykernel
          - pip:
            - sagemaker==1.35.1
            - scikit_learn==0.20.3
            - torch==1.4.0
        """

    static let pytorch = """
        name: pytorch_p310
        dependencies:
          - pytorch=2.2.0
        """

    func local() throws -> [LocalKernel] {
        [
            LocalKernel(
                kernel: "conda_python3", path: "envs/python3.yml",
                file: try EnvironmentFile(text: Self.python3, path: "envs/python3.yml")),
            LocalKernel(
                kernel: "conda_pytorch_p310", path: "envs/pytorch_p310.yml",
                file: try EnvironmentFile(text: Self.pytorch, path: "envs/pytorch_p310.yml")),
        ]
    }

    func source(_ kind: UpstreamSourceKind, _ name: String? = nil, kernels: [String]? = nil) -> SourceConfig {
        SourceConfig(kind: kind, url: "x", kernels: kernels, name: name ?? kind.rawValue)
    }

    var export: SourceRelease {
        let packages: [UpstreamPackage] = [
            .init(name: "numpy", version: "1.19.5", manager: .conda),
            .init(name: "pandas", version: "0.24.3", manager: .conda),
            .init(name: "scipy", version: "2.1.0", manager: .conda),
            .init(name: "python", version: "3.10.14", manager: .conda),
            .init(name: "matplotlib-base", version: "3.0.2", manager: .conda),
            .init(name: "seaborn", version: "0.9.0", manager: .conda),
            .init(name: "ipykernel", version: "6.0.0", manager: .conda),
            .init(name: "sagemaker", version: "2.59.2", manager: .pip),
            .init(name: "scikit-learn", version: "0.20.4", manager: .conda),
            .init(name: "pytorch", version: "1.4.1", manager: .conda),
            .init(name: "boto3", version: "1.17.0", manager: .pip),
        ]
        return SourceRelease(
            config: source(.envExport),
            release: UpstreamRelease(
                kind: .envExport, release: "sha256:abc",
                kernels: [UpstreamKernel(kernel: "conda_python3", python: "3.10", packages: packages)]))
    }

    var sdk: SourceRelease {
        SourceRelease(
            config: source(.sdkChangelog),
            release: UpstreamRelease(
                kind: .sdkChangelog, release: "2.60.0", published: UpstreamDate(iso: "2021-09-20"),
                kernels: [
                    UpstreamKernel(kernel: "*", packages: [.init(name: "sagemaker", version: "2.60.0", manager: .pip)])
                ]
            ))
    }

    var docs: SourceRelease {
        SourceRelease(
            config: source(.awsDocs),
            release: UpstreamRelease(
                kind: .awsDocs, release: "sha256:def",
                kernels: [
                    UpstreamKernel(kernel: "conda_python3", python: "3.10"),
                    UpstreamKernel(
                        kernel: "conda_pytorch", python: "3.10", packages: [.init(name: "pytorch", version: "2.10.0")]),
                    UpstreamKernel(
                        kernel: "conda_mxnet_p36", python: "3.6", packages: [.init(name: "mxnet", version: "1.8.0")]),
                ]))
    }

    var examples: SourceRelease {
        SourceRelease(
            config: source(.examples),
            release: UpstreamRelease(
                kind: .examples, release: "2d519b52", kernels: [],
                examples: ExamplesSummary(
                    commit: "2d519b52", notebooks: 3,
                    requirements: [
                        ExampleRequirement(package: "sagemaker", spec: ">=2.156.0,<3", file: "a/requirements.txt"),
                        ExampleRequirement(package: "sagemaker", spec: ">=2.156.0,<3", file: "b/nb.ipynb"),
                        ExampleRequirement(package: "sagemaker", spec: "", file: "c/nb.ipynb"),
                        ExampleRequirement(package: "pandas", spec: ">=0.20", file: "c/nb.ipynb"),
                    ], kernelspecs: ["conda_python3": 3])))
    }

    func change(_ report: DriftReport, _ kernel: String, _ package: String) throws -> DriftChange {
        let drift = try #require(report.kernels.first { $0.kernel == kernel })
        return try #require(drift.changes.first { $0.package == package }, "no change for \(package)")
    }

    @Test func actionsAndKindsFollowThePolicy() throws {
        let engine = DriftEngine(policy: Policy(update: [.patch, .minor], ignore: ["seaborn"], downgrade: false))
        let report = engine.diff(local: try local(), releases: [export, sdk, docs])

        let numpy = try change(report, "conda_python3", "numpy")
        #expect(numpy.kind == .minor)
        #expect(numpy.action == .update)
        #expect(numpy.current == "1.14.3")
        #expect(numpy.plannedSpec == "=1.19.5")
        #expect(numpy.origin.source == "env-export")

        let pandas = try change(report, "conda_python3", "pandas")
        #expect(pandas.kind == .patch)
        #expect(pandas.plannedSpec == "==0.24.3")

        let scipy = try change(report, "conda_python3", "scipy")
        #expect(scipy.kind == .major)
        #expect(scipy.action == .held)
        #expect(scipy.current == "1.1")
        #expect(scipy.reason == "major change; policy.update is [minor, patch]")

        let python = try change(report, "conda_python3", "python")
        #expect(python.kind == .major, "a Python minor bump is major for the policy")
        #expect(python.action == .held)

        let matplotlib = try change(report, "conda_python3", "matplotlib")
        #expect(matplotlib.kind == .downgrade)
        #expect(matplotlib.action == .held)
        #expect(matplotlib.origin.name == "matplotlib-base")

        let seaborn = try change(report, "conda_python3", "seaborn")
        #expect(seaborn.action == .ignored)

        let ipykernel = try change(report, "conda_python3", "ipykernel")
        #expect(ipykernel.action == .ignored)
        #expect(ipykernel.current == nil)

        let sklearn = try change(report, "conda_python3", "scikit_learn")
        #expect(sklearn.manager == .pip)
        #expect(sklearn.action == .update)
        #expect(sklearn.plannedSpec == "==0.20.4")

        let torch = try change(report, "conda_python3", "torch")
        #expect(torch.origin.name == "pytorch")
        #expect(torch.action == .update)

        let sagemaker = try change(report, "conda_python3", "sagemaker")
        #expect(sagemaker.kind == .major)
        #expect(sagemaker.upstream == "2.59.2")
        #expect(sagemaker.runnerUp?.source == "sdk-changelog")
        #expect(sagemaker.runnerUp?.version == "2.60.0")

        let summary = report.summary
        #expect(summary.updates == 4)
        #expect(summary.held == 4)
        #expect(report.kernels[0].missing.map(\.name) == ["boto3"])

        // A policy changed on the engine is the one it decides by.
        var changed = engine
        changed.policy.update = [.major]
        let later = changed.diff(local: try local(), releases: [export, sdk, docs])
        #expect(try change(later, "conda_python3", "sagemaker").action == .update)
        #expect(try change(later, "conda_python3", "numpy").action == .held)
        #expect(try change(later, "conda_python3", "numpy").reason == "minor change; policy.update is [major]")
    }

    @Test func changeKindOrdinalsAreTheirPlacesInAllCases() {
        for (place, kind) in ChangeKind.allCases.enumerated() { #expect(kind.ordinal == place, "\(kind)") }
    }

    @Test func aPackageListedTwiceUnderOneManagerIsBlockedAndUnderTwoIsNot() throws {
        let text = """
            name: twice
            dependencies:
              - numpy=1.14.3
              - NumPy=1.14.3
              - seaborn=0.8.1
              - pip:
                - seaborn==0.8.1
            """
        let kernel = LocalKernel(
            kernel: "conda_python3", path: "envs/twice.yml", file: try EnvironmentFile(text: text, path: "twice.yml"))
        let report = DriftEngine(policy: Policy(update: [.major, .minor, .patch], ignore: [], downgrade: false))
            .diff(local: [kernel], releases: [export])
        let changes = report.kernels[0].changes
        #expect(changes.map(\.package) == ["numpy", "NumPy", "seaborn", "seaborn"])
        for change in changes.prefix(2) {
            #expect(change.action == .blocked)
            #expect(change.reason == "listed more than once as a conda dependency")
        }
        // Once as a conda and once as a pip dependency: two entries, each decided on its own.
        #expect(changes[2].action == .update && changes[3].action == .update)
    }

    /// Many kernels decided in runs that share one memo, with two different source sets taking turns: each
    /// kernel's duplicates are its own, and each kernel gets its own sources' versions.
    @Test func kernelsSharingAMemoKeepTheirOwnDuplicatesAndSources() throws {
        let once = "name: once\ndependencies:\n  - numpy=1.14.3\n  - seaborn=0.8.1\n"
        let twice = "name: twice\ndependencies:\n  - numpy=1.14.3\n  - NumPy=1.14.3\n  - seaborn=0.8.1\n"
        let kernels = try (0..<40).map { index in
            LocalKernel(
                kernel: "k\(index)", path: "envs/k\(index).yml",
                file: try EnvironmentFile(text: index % 3 == 0 ? twice : once, path: "k\(index).yml"))
        }
        let odd = kernels.indices.filter { $0 % 2 == 1 }.map { "k\($0)" }
        let newer = SourceRelease(
            config: source(.distribution, "newer", kernels: odd),
            release: UpstreamRelease(
                kind: .distribution, release: "9",
                kernels: [UpstreamKernel(kernel: "*", packages: [.init(name: "numpy", version: "2.0.0")])]))
        let everyone = SourceRelease(
            config: source(.distribution, "everyone"),
            release: UpstreamRelease(
                kind: .distribution, release: "1",
                kernels: [
                    UpstreamKernel(
                        kernel: "*",
                        packages: [.init(name: "numpy", version: "1.19.5"), .init(name: "seaborn", version: "0.9.0")])
                ]))
        let report = DriftEngine(policy: Policy(update: [.major, .minor, .patch], ignore: [], downgrade: false))
            .diff(local: kernels, releases: [newer, everyone])
        #expect(report.kernels.count == 40)
        for (index, drift) in report.kernels.enumerated() {
            let numpy = drift.changes.filter { $0.package.lowercased() == "numpy" }
            #expect(numpy.count == (index % 3 == 0 ? 2 : 1), "k\(index)")
            for change in numpy {
                #expect(change.action == (index % 3 == 0 ? .blocked : .update), "k\(index)")
                #expect(change.upstream == (index % 2 == 1 ? "2.0.0" : "1.19.5"), "k\(index)")
            }
            #expect(drift.changes.first { $0.package == "seaborn" }?.action == .update, "k\(index)")
        }
    }

    @Test func renamedAndMissingKernelsAreReportedNotActedOn() throws {
        let engine = DriftEngine(policy: .default)
        let report = engine.diff(local: try local(), releases: [docs])
        #expect(
            report.renames == [KernelRename(local: "conda_pytorch_p310", upstream: "conda_pytorch", source: "aws-docs")]
        )
        #expect(report.missingKernels.map(\.kernel) == ["conda_mxnet_p36"])
        #expect(report.unsourcedKernels == ["conda_pytorch_p310"])
        let pytorch = try #require(report.kernels.first { $0.kernel == "conda_pytorch_p310" })
        #expect(pytorch.changes.isEmpty)
    }

    @Test func pythonFromTheDocsMatchesByPrefix() throws {
        let text = "name: python3\ndependencies:\n  - python=3.10.14\n"
        let kernel = LocalKernel(
            kernel: "conda_python3", path: "p.yml", file: try EnvironmentFile(text: text, path: "p.yml"))
        let report = DriftEngine(policy: .default).diff(local: [kernel], releases: [docs])
        let python = try change(report, "conda_python3", "python")
        #expect(python.kind == .same)
        #expect(python.action == .same)
    }

    @Test func precedenceFollowsSourceOrder() throws {
        let engine = DriftEngine(policy: Policy(update: [.major, .minor, .patch], ignore: [], downgrade: false))
        let report = engine.diff(local: try local(), releases: [sdk, export])
        let sagemaker = try change(report, "conda_python3", "sagemaker")
        #expect(sagemaker.upstream == "2.60.0")
        #expect(sagemaker.origin.source == "sdk-changelog")
        #expect(sagemaker.runnerUp?.version == "2.59.2")
        #expect(sagemaker.action == .update)
    }

    @Test func aRangeThatDoesNotFitIsBlocked() throws {
        let engine = DriftEngine(policy: Policy(update: [.major, .minor, .patch], ignore: [], downgrade: false))
        let report = engine.diff(local: try local(), releases: [export])
        let scipy = try change(report, "conda_python3", "scipy")
        #expect(scipy.action == .blocked)
        #expect(scipy.reason?.contains("range") == true)
    }

    @Test func downgradesOnlyWhenAllowed() throws {
        let engine = DriftEngine(policy: Policy(update: [.minor, .patch], ignore: [], downgrade: true))
        let report = engine.diff(local: try local(), releases: [export])
        let matplotlib = try change(report, "conda_python3", "matplotlib")
        #expect(matplotlib.action == .update)
        #expect(matplotlib.plannedSpec == "=3.0.2")
    }

    @Test func configuredKernelsLimitASource() throws {
        var limited = sdk
        limited.config.kernels = ["conda_pytorch_p310"]
        let report = DriftEngine(policy: .default).diff(local: try local(), releases: [limited])
        #expect(report.kernels[0].changes.isEmpty)
        #expect(report.unsourcedKernels == ["conda_python3"])
    }

    @Test func examplesRequirementsAboveThePinAreConflicts() throws {
        let report = DriftEngine(policy: .default).diff(local: try local(), releases: [examples])
        #expect(report.conflicts.count == 1)
        let conflict = try #require(report.conflicts.first)
        #expect(conflict.kernel == "conda_python3")
        #expect(conflict.pinned == "1.35.1")
        #expect(conflict.spec == ">=2.156.0,<3")
        #expect(conflict.files == ["a/requirements.txt", "b/nb.ipynb"])
        #expect(report.examplesCommit == "2d519b52")
    }

    @Test(arguments: [
        ("1.14.3", "1.19.5", PackageManager.conda, false, ChangeKind.minor),
        ("1.14.3", "1.14.4", .conda, false, .patch),
        ("1.14.3", "2.0.0", .conda, false, .major),
        ("1.14.3", "1.14.3", .conda, false, .same),
        ("1.0", "1.0.0", .conda, false, .same),
        ("2.0", "1.9", .pip, false, .downgrade),
        ("3.10.14", "3.11.0", .conda, true, .major),
        ("3.10.14", "3.10", .conda, true, .same),
        ("1.0.1g", "1.0.1h", .conda, false, .patch),
        ("2021a", "2021b", .conda, false, .patch),
        ("abc", "abd", .conda, false, .other),
        ("1.0rc1", "1.0", .pip, false, .patch),
    ])
    func changeKinds(current: String, upstream: String, manager: PackageManager, isPython: Bool, kind: ChangeKind) {
        #expect(VersionDelta.kind(current: current, upstream: upstream, manager: manager, isPython: isPython) == kind)
    }

    @Test func aliasesAndNormalisation() {
        let names = PackageNames(extra: [["opencv", "opencv-python-headless"]])
        #expect(names.key("Scikit_Learn") == names.key("scikit-learn"))
        #expect(names.key("torch") == names.key("pytorch"))
        #expect(names.key("msgpack-python") == names.key("msgpack"))
        #expect(names.key("opencv-python-headless") == names.key("opencv"))
        #expect(names.key("numpy") != names.key("numba"))
    }
}

/// The change kind read with inline numbers is the kind read with arrays, for every form of version.
@Suite("Change kinds: the inline reading of leading numbers")
struct ChangeKindInlineTests {
    @Test func inlineAndArrayReadingsAgree() {
        var random = SeededRandom(seed: 0xC0DE)
        func next(_ bound: Int) -> Int { random.below(bound) }
        let tails = ["", "", "a1", "rc2", ".post1", ".dev0", "g", "_1", "+local.7", "!", "-1", ".", "..", "*"]
        func version() -> String {
            var text = next(10) == 0 ? "v" : (next(12) == 0 ? "\(next(3))!" : "")
            let parts = 1 + next(10)
            text += (0..<parts).map { _ in next(15) == 0 ? "123456789012345678901" : String(next(12)) }
                .joined(separator: ".")
            return text + tails[next(tails.count)]
        }
        var fixed = [
            ("1.2.3", "1.2.4"), ("3.10", "3.10.14"), ("3.10.14", "3.10"), ("1.2.3.4.5.6.7.8", "1.2.3.4.5.6.7.9"),
            ("1.2.3.4.5.6.7.8.9", "1.2.3.4.5.6.7.8.10"), ("v1.0", "1.0"), ("1!2.0", "2.1"), ("", "1"), ("a", "b"),
            ("1.2", "1.2.0"), ("1.2.0", "1.2"), ("1.02", "1.2"), ("1.2.0.0", "1.2.0.1"), ("0.0", "0"), ("1.", "1.0"),
            ("12345678901234567", "12345678901234568"), ("123456789012345678", "123456789012345679"), ("1..2", "1.2"),
        ]
        for _ in 0..<20_000 { fixed.append((version(), version())) }
        for (current, upstream) in fixed {
            for manager in [PackageManager.conda, .pip] {
                for isPython in [false, true] {
                    let inline = VersionDelta.kind(
                        current: current, upstream: upstream, manager: manager, isPython: isPython)
                    let arrays = VersionDelta.kindUsingArrays(
                        current: current, upstream: upstream, manager: manager, isPython: isPython, memo: nil)
                    #expect(inline == arrays, "\(current) → \(upstream) (\(manager), python \(isPython))")
                }
            }
        }
    }
}

/// Shortcuts of the decision path give what the general code gives.
@Suite("Drift decisions: shortcuts")
struct DriftShortcutTests {
    static func versions(_ count: Int, seed: UInt64) -> [String] {
        var random = SeededRandom(seed: seed)
        func next(_ bound: Int) -> Int { random.below(bound) }
        let tails = [
            "", "", "", "a1", "b2", "rc1", ".post1", ".dev0", "post2", "g", "_1", "+local.7", "+cu118", "-1", "dev",
            "c3", "alpha", ".a0", "_b1", "r3", "x", ".", "-",
        ]
        return (0..<count).map { _ in
            var text = next(12) == 0 ? "\(next(3))!" : ""
            if next(15) == 0 { text += "v" }
            text += (0..<(1 + next(5))).map { _ in String(next(30)) }.joined(separator: ".")
            return text + tails[next(tails.count)]
        }
    }

    @Test func aPlainPinReadsAsTheGeneralReadingDoes() {
        var specs: [String] = []
        for version in Self.versions(5_000, seed: 3) {
            for prefix in ["", "=", "==", "===", ">=", "~=", "=*", " ="] { specs.append(prefix + version) }
        }
        specs += ["*", "=*", "==*", "1.*", "=1.2.*", "1.2,<2", ">=1|<0", "1 2", "=1.0=py_0", ""]
        var plain = 0
        for spec in specs {
            guard let fast = ConstraintClause.plainPinVersion(spec) else { continue }
            plain += 1
            #expect(fast == DriftEngine.currentVersion(spec), "\(spec.debugDescription)")
        }
        #expect(plain > 5_000)
    }

    @Test func dottedWholeNumbersAreVersionsUnderBothSchemes() {
        var numeric = 0
        for version in Self.versions(20_000, seed: 23) + ["0", "00.01", "12345678901234567.1", "1.2.3.4.5.6.7.8"]
        where VersionDelta.LeadingNumbers.isStrictlyNumeric(version) {
            numeric += 1
            #expect((try? CondaVersion(version)) != nil, "\(version)")
            #expect((try? PEP440Version(version)) != nil, "\(version)")
        }
        #expect(numeric > 1_000)
        for text in ["", ".", "1.", ".1", "1..2", "v1", "1a", "1.2.3.4.5.6.7.8.9", "123456789012345678"] {
            #expect(!VersionDelta.LeadingNumbers.isStrictlyNumeric(text), "\(text)")
        }
    }

    @Test func aPlainPinIsRewrittenAsTheGeneralStepsRewriteIt() throws {
        let lines = [
            "  - pkg=1.0\n", "  - pkg==1.0\n", "  - pkg 1.0\n", "  - pkg>=1.0\n", "  - pkg=1.0=py_0\n",
            "  - pkg==1.0.*\n", "  - pkg=1.0,<2\n", "  - pip:\n    - pkg==1.0\n", "  - pip:\n    - pkg>=1.0,<3\n",
        ]
        var checked = 0
        for line in lines {
            let file = try EnvironmentFile(text: "name: t\ndependencies:\n" + line, path: "t.yml")
            let target = try #require(file.dependencies.first)
            let text = try #require(target.versionText)
            for version in Self.versions(3_000, seed: 17) where EnvironmentFile.isSafeVersion(version) {
                let fast = Result { () throws(EnvironmentFileError) in
                    try EnvironmentFile.rewrite(versionText: text, to: version, for: target, path: "t.yml")
                }
                let general = Result { () throws(EnvironmentFileError) in
                    try EnvironmentFile.rewriteInGeneral(versionText: text, to: version, for: target, path: "t.yml")
                }
                checked += 1
                switch (fast, general) {
                case (.success(let a), .success(let b)): #expect(a == b, "\(line) \(version)")
                case (.failure(let a), .failure(let b)): #expect(a.description == b.description, "\(line) \(version)")
                default: Issue.record("\(line.debugDescription) → \(version): \(fast) vs \(general)")
                }
            }
        }
        #expect(checked > 10_000)
    }

    @Test func aPinMovedToAVersionAdmitsItAsTheFullCheckSays() throws {
        for (manager, line, ops) in [
            (PackageManager.conda, "  - pkg=1.0\n", ["=", "=="]), (.conda, "  - pkg==1.0\n", ["=", "=="]),
            (.conda, "  - pkg 1.0\n", ["=", "=="]), (.pip, "  - pip:\n    - pkg==1.0\n", ["==", "="]),
        ] {
            let file = try EnvironmentFile(text: "name: t\ndependencies:\n" + line, path: "t.yml")
            let target = try #require(file.dependencies.first { $0.manager == manager })
            var checked = 0
            for version in Self.versions(4_000, seed: 11) where EnvironmentFile.isSafeVersion(version) {
                let valid =
                    manager == .conda ? (try? CondaVersion(version)) != nil : (try? PEP440Version(version)) != nil
                guard valid else { continue }
                for op in ops {
                    let clause = ConstraintClause(
                        op: op, versionRange: op.utf8.count..<(op.utf8.count + version.utf8.count))
                    guard EnvironmentFile.admitsByConstruction(clause, target, false) else { continue }
                    checked += 1
                    #expect(
                        EnvironmentFile.admits(op + version, version: version, target: target, hasBuild: false),
                        "\(manager) \(op)\(version)")
                }
            }
            #expect(checked > 500)
        }
    }
}
