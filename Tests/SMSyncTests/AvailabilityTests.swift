import Foundation
import Testing

@testable import SMSync

@Suite("Availability: channel resolution")
struct ChannelResolutionTests {
    func file(_ text: String) throws -> EnvironmentFile {
        try EnvironmentFile(text: text, path: "env.yml")
    }

    var config: AvailabilityConfig {
        var config = AvailabilityConfig()
        config.channelAlias = "https://conda.example.org/"
        config.defaults = ["https://repo.example.com/pkgs/main", "https://repo.example.com/pkgs/r"]
        return config
    }

    @Test func bareNamesGoUnderTheAliasAndDefaultsAreAppended() throws {
        let resolver = ChannelResolver(config: config)
        let env = try file("channels: [conda-forge, pytorch/label/nightly]\ndependencies: [numpy=1.0]\n")
        let channels = resolver.channels(of: env)
        #expect(
            channels.urls == [
                "https://conda.example.org/conda-forge", "https://conda.example.org/pytorch/label/nightly",
                "https://repo.example.com/pkgs/main", "https://repo.example.com/pkgs/r",
            ])
        #expect(channels.invalid.isEmpty)
    }

    @Test func nodefaultsRemovesDefaultsWhereverListed() throws {
        let resolver = ChannelResolver(config: config)
        let env = try file("channels: [defaults, conda-forge, nodefaults]\ndependencies: [numpy=1.0]\n")
        #expect(resolver.channels(of: env).urls == ["https://conda.example.org/conda-forge"])
    }

    @Test func defaultsExpandInPlace() throws {
        let resolver = ChannelResolver(config: config)
        let env = try file("channels: [defaults, https://private.example/ch/]\ndependencies: [numpy=1.0]\n")
        #expect(
            resolver.channels(of: env).urls == [
                "https://repo.example.com/pkgs/main", "https://repo.example.com/pkgs/r", "https://private.example/ch",
            ])
        let none = try file("dependencies: [numpy=1.0]\n")
        #expect(resolver.channels(of: none).urls == config.defaults, "no channels: conda's default channels")
    }

    @Test func channelColonColonUsesThatChannelOnly() throws {
        let resolver = ChannelResolver(config: config)
        let env = try file("channels: [conda-forge]\ndependencies: [pytorch::torchvision=0.20, numpy=1.0]\n")
        let pinned = try #require(env.dependencies.first { $0.name == "torchvision" })
        #expect(resolver.channels(for: pinned, in: env).urls == ["https://conda.example.org/pytorch"])
        let plain = try #require(env.dependencies.first { $0.name == "numpy" })
        #expect(resolver.channels(for: plain, in: env).urls.first == "https://conda.example.org/conda-forge")
    }

    @Test func namesThatAreNeitherChannelNorURLAreRefused() throws {
        let resolver = ChannelResolver(config: config)
        #expect(resolver.url(of: "../etc") == nil)
        #expect(resolver.url(of: "ftp://x/y") == nil)
        #expect(resolver.url(of: "file:///srv/../etc") == nil)
        #expect(resolver.url(of: "file:///srv/channel/") == ["file:///srv/channel"])
        #expect(resolver.label(of: "https://conda.example.org/conda-forge") == "conda-forge")
    }
}

@Suite("Availability: conda verdicts")
struct CondaVerdictTests {
    static let forge = "https://c.example/conda-forge"
    static let other = "https://c.example/other"

    static func record(
        _ version: String, _ build: String, subdir: String = "linux-64", depends: [String] = [], number: Int = 0,
        noarch: String? = nil, name: String = "numpy"
    ) -> CondaRecord {
        CondaRecord(
            name: name, version: version, build: build, buildNumber: number, depends: depends, subdir: subdir,
            noarch: noarch, fileName: "\(name)-\(version)-\(build).conda")
    }

    func check(
        _ spec: String = "numpy==2.1.3", channels: [String] = [forge], platforms: [String] = ["linux-64"],
        python: String? = "3.10", priority: AvailabilityConfig.ChannelPriority = .strict
    ) throws -> CondaCheck {
        CondaCheck(
            name: "numpy", version: "2.1.3", spec: try CondaMatchSpec.parse(spec), channels: channels,
            platforms: platforms, python: python.flatMap(PythonTarget.init(version:)), priority: priority)
    }

    func verdict(_ check: CondaCheck, _ records: [String: [String: [CondaRecord]]]) -> AvailabilityVerdict {
        check.verdict(records: records) { $0.replacingOccurrences(of: "https://c.example/", with: "") }
    }

    @Test func pythonDependsFormsAreEvaluated() throws {
        let forms: [(String, Bool)] = [
            ("python >=3.10,<3.11.0a0", true),
            ("python >=3.11,<3.12.0a0", false),
            ("python_abi 3.10.* *_cp310", true),
            ("python_abi 3.12.* *_cp312", false),
            ("python 3.10.*", true),
            ("python >=3.9", true),
        ]
        for (dependency, admitted) in forms {
            let records = [Self.forge: ["linux-64": [Self.record("2.1.3", "py_0", depends: ["libc", dependency])]]]
            let result = verdict(try check(), records)
            if admitted {
                #expect(
                    result
                        == .available(
                            AvailabilitySource(
                                channel: "conda-forge", subdir: "linux-64", build: "py_0",
                                file: "numpy-2.1.3-py_0.conda")), "\(dependency)")
            } else {
                guard case .unavailable(let reason) = result else {
                    Issue.record("\(dependency) should not admit 3.10")
                    continue
                }
                #expect(reason.contains("none for linux-64/py310 on conda-forge"), "\(reason)")
                #expect(reason.contains(dependency), "names the constraint: \(reason)")
            }
        }
    }

    @Test func noPythonDependencyAndNoarchPythonAreFine() throws {
        let plain = [Self.forge: ["linux-64": [Self.record("2.1.3", "h0", depends: ["libgcc >=13"])]]]
        #expect(verdict(try check(), plain) != .unavailable(""))
        guard case .available = verdict(try check(), plain) else {
            Issue.record("a record without python is fine")
            return
        }
        let noarch = [
            Self.forge: [
                "noarch": [
                    Self.record("2.1.3", "pyhd8ed1ab_0", subdir: "noarch", depends: ["python >=3.9"], noarch: "python")
                ]
            ]
        ]
        guard case .available(let source) = verdict(try check(), noarch) else {
            Issue.record("noarch: python admitting 3.10 is fine")
            return
        }
        #expect(source.subdir == "noarch")
        let tooNew = [
            Self.forge: [
                "noarch": [
                    Self.record("2.1.3", "pyhd8ed1ab_0", subdir: "noarch", depends: ["python >=3.12"], noarch: "python")
                ]
            ]
        ]
        guard case .unavailable = verdict(try check(), tooNew) else {
            Issue.record("noarch: python needing 3.12 is not fine for 3.10")
            return
        }
    }

    @Test func platformOnlyOnAarch64() throws {
        let records = [Self.forge: ["linux-aarch64": [Self.record("2.1.3", "py310_0", subdir: "linux-aarch64")]]]
        let both = try check(platforms: ["linux-64", "linux-aarch64"])
        #expect(
            verdict(both, records)
                == .unavailable(
                    "numpy 2.1.3: on conda-forge only for linux-aarch64; conda-forge has no 2.1.3 for linux-64 or noarch"
                ))
        guard case .unavailable(let reason) = verdict(try check(), records) else {
            Issue.record("linux-64 alone: unavailable")
            return
        }
        #expect(reason == "numpy 2.1.3: no channel has numpy (looked in conda-forge for linux-64, noarch)", "\(reason)")
    }

    @Test func newestThereIsNamedWhenTheVersionIsMissing() throws {
        let records = [Self.forge: ["linux-64": [Self.record("2.1.2", "h0"), Self.record("2.0.0", "h0")]]]
        #expect(
            verdict(try check(), records)
                == .unavailable("numpy 2.1.3: conda-forge has no 2.1.3 for linux-64 or noarch; newest there 2.1.2"))
    }

    @Test func pinnedBuildMustMatch() throws {
        let records = [Self.forge: ["linux-64": [Self.record("2.1.3", "cpu_py310_0")]]]
        var cuda = try check("numpy==2.1.3")
        cuda.spec.build = "*cuda*"
        #expect(
            verdict(cuda, records)
                == .unavailable("numpy 2.1.3: no build matching *cuda* for linux-64 on conda-forge"))
        cuda.spec.build = "*cpu*"
        guard case .available = verdict(cuda, records) else {
            Issue.record("a matching build is available")
            return
        }
    }

    @Test func strictPriorityLetsTheFirstChannelWithThePackageDecide() throws {
        let records = [
            Self.forge: ["linux-64": [Self.record("2.1.2", "h0")]],
            Self.other: ["linux-64": [Self.record("2.1.3", "h0")]],
        ]
        let strict = try check(channels: [Self.forge, Self.other])
        guard case .unavailable(let reason) = verdict(strict, records) else {
            Issue.record("strict: conda-forge has numpy, so only it counts")
            return
        }
        #expect(reason.contains("(strict channel priority: conda-forge decides; other has it)"), "\(reason)")
        let flexible = try check(channels: [Self.forge, Self.other], priority: .flexible)
        guard case .available(let source) = verdict(flexible, records) else {
            Issue.record("flexible: any channel")
            return
        }
        #expect(source.channel == "other")
        // A first channel without the package at all does not decide.
        let skipping = [Self.other: ["linux-64": [Self.record("2.1.3", "h0")]]]
        guard case .available = verdict(strict, skipping) else {
            Issue.record("strict: the first channel that has the package decides")
            return
        }
    }

    @Test func highestBuildNumberIsReported() throws {
        let records = [
            Self.forge: [
                "linux-64": [Self.record("2.1.3", "py310_0", number: 0), Self.record("2.1.3", "py310_2", number: 2)]
            ]
        ]
        guard case .available(let source) = verdict(try check(), records) else {
            Issue.record("available")
            return
        }
        #expect(source.build == "py310_2")
        #expect(source.summary == "conda-forge linux-64 py310_2")
    }

    @Test func noChannelHasThePackage() throws {
        #expect(
            verdict(try check(channels: [Self.forge, Self.other]), [:])
                == .unavailable(
                    "numpy 2.1.3: no channel has numpy (looked in conda-forge, other for linux-64, noarch)"))
    }

    @Test func equalsSpecMatchesAsCondaReadsIt() throws {
        let records = [Self.forge: ["linux-64": [Self.record("2.1.3.post1", "h0")]]]
        guard case .available = verdict(try check("numpy=2.1.3"), records) else {
            Issue.record("`=2.1.3` is 2.1.3*")
            return
        }
        guard case .unavailable = verdict(try check("numpy==2.1.3"), records) else {
            Issue.record("`==2.1.3` is exact")
            return
        }
    }
}

@Suite("Availability: pip verdicts")
struct PipVerdictTests {
    func check(
        _ version: String = "2.5.0", python: String? = "3.10", platforms: [String] = ["linux-64"]
    ) -> PipCheck {
        PipCheck(
            project: "torch", version: version, index: "https://pypi.example/simple", platforms: platforms,
            python: python.flatMap(PythonTarget.init(version:)), glibc: [2, 34])
    }

    @Test func fileVersionsFromWheelAndSdistNames() {
        #expect(PipCheck.fileVersion("torch-2.5.0-cp310-cp310-manylinux1_x86_64.whl", project: "torch") == "2.5.0")
        #expect(PipCheck.fileVersion("torch-2.5.0-1-cp310-cp310-manylinux1_x86_64.whl", project: "torch") == "2.5.0")
        #expect(PipCheck.fileVersion("my-pkg-1.0.post1.tar.gz", project: "my-pkg") == "1.0.post1")
        #expect(PipCheck.fileVersion("My_Pkg-1.0.zip", project: "my-pkg") == "1.0")
        #expect(PipCheck.fileVersion("other-1.0.tar.gz", project: "my-pkg") == nil)
        #expect(PipCheck.fileVersion("torch-2.5.0.win32-py2.6.exe", project: "torch") == nil)
    }

    @Test func wheelTagsFollowPipOnManylinux() {
        let pip = check()
        let fits: [(String, Bool)] = [
            ("torch-2.5.0-cp310-cp310-manylinux1_x86_64.whl", true),
            ("torch-2.5.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", true),
            ("torch-2.5.0-cp310-cp310-manylinux_2_39_x86_64.whl", false),
            ("torch-2.5.0-cp310-cp310-musllinux_1_1_x86_64.whl", false),
            ("torch-2.5.0-cp310-cp310-linux_x86_64.whl", false),
            ("torch-2.5.0-cp310-cp310-manylinux2014_aarch64.whl", false),
            ("torch-2.5.0-cp311-cp311-manylinux1_x86_64.whl", false),
            ("torch-2.5.0-cp38-abi3-manylinux1_x86_64.whl", true),
            ("torch-2.5.0-cp312-abi3-manylinux1_x86_64.whl", false),
            ("torch-2.5.0-py3-none-any.whl", true),
            ("torch-2.5.0-py2.py3-none-any.whl", true),
            ("torch-2.5.0-py2-none-any.whl", false),
            ("torch-2.5.0-cp310-cp310-macosx_11_0_arm64.whl", false),
            ("torch-2.5.0-cp310-cp310-win_amd64.whl", false),
        ]
        for (name, expected) in fits {
            #expect(pip.wheelFits(name, platform: "linux-64") == expected, "\(name)")
        }
        #expect(pip.wheelFits("torch-2.5.0-cp310-cp310-manylinux2014_aarch64.whl", platform: "linux-aarch64"))
    }

    @Test func availableFromAWheelOrAnSdist() {
        let files = [
            IndexFile(filename: "torch-2.5.0-cp310-cp310-manylinux_2_17_x86_64.whl", requiresPython: ">=3.9"),
            IndexFile(filename: "torch-2.5.0.tar.gz", requiresPython: ">=3.9"),
        ]
        #expect(
            check().verdict(files: files)
                == .available(
                    AvailabilitySource(
                        file: "torch-2.5.0-cp310-cp310-manylinux_2_17_x86_64.whl", index: "https://pypi.example/simple")
                ))
        let sdistOnly = [IndexFile(filename: "torch-2.5.0.tar.gz")]
        #expect(
            check().verdict(files: sdistOnly)
                == .available(AvailabilitySource(file: "torch-2.5.0.tar.gz", index: "https://pypi.example/simple")))
    }

    @Test func yankedFilesDoNotCount() {
        let files = [
            IndexFile(filename: "torch-2.5.0-py3-none-any.whl", yanked: true, yankedReason: "broken metadata"),
            IndexFile(filename: "torch-2.4.0-py3-none-any.whl"),
        ]
        #expect(
            check().verdict(files: files)
                == .unavailable(
                    "torch 2.5.0: every file of 2.5.0 on https://pypi.example/simple is yanked: broken metadata"))
    }

    @Test func requiresPythonMustAdmitTheKernelsPython() {
        let files = [IndexFile(filename: "torch-2.5.0-py3-none-any.whl", requiresPython: ">=3.11")]
        #expect(
            check().verdict(files: files)
                == .unavailable(
                    "torch 2.5.0: no file on https://pypi.example/simple admits Python 3.10 (requires-python >=3.11)"))
        guard case .available = check(python: "3.11").verdict(files: files) else {
            Issue.record("3.11 is admitted")
            return
        }
    }

    @Test func onlyForeignWheels() {
        let files = [
            IndexFile(filename: "torch-2.5.0-cp310-none-macosx_11_0_arm64.whl"),
            IndexFile(filename: "torch-2.5.0-cp310-cp310-musllinux_1_2_x86_64.whl"),
        ]
        guard case .unavailable(let reason) = check().verdict(files: files) else {
            Issue.record("no wheel for linux-64")
            return
        }
        #expect(
            reason.hasPrefix("torch 2.5.0: no wheel for linux-64 / cp310 and no sdist on https://pypi.example/simple"))
    }

    @Test func missingVersionAndUnknownProject() {
        let files = [IndexFile(filename: "torch-2.4.1-py3-none-any.whl"), IndexFile(filename: "torch-2.6.0rc1.tar.gz")]
        #expect(
            check().verdict(files: files)
                == .unavailable("torch 2.5.0: no file for 2.5.0 on https://pypi.example/simple; newest there 2.4.1"))
        #expect(
            check().verdict(files: nil) == .unavailable("torch 2.5.0: https://pypi.example/simple does not know torch"))
    }

    @Test func normalisedVersionsCompareEqual() {
        let files = [IndexFile(filename: "torch-2.5-py3-none-any.whl")]
        guard case .available = check("2.5.0").verdict(files: files) else {
            Issue.record("2.5 == 2.5.0 under PEP 440")
            return
        }
    }
}

@Suite("Availability: configuration")
struct AvailabilityConfigurationTests {
    @Test func theSectionIsReadWithItsDefaults() throws {
        let plain = try Configuration(text: "envs: {dir: envs}\n", file: "conf/smsync.yml")
        #expect(!plain.availability.enabled)
        #expect(plain.availability.platforms == ["linux-64"])
        #expect(plain.availability.channelPriority == .strict)
        #expect(plain.availability.pipIndex == "https://pypi.org/simple")
        let text = """
            envs: {dir: envs}
            availability:
              enabled: true
              platforms: [linux-64, linux-aarch64]
              channel_priority: flexible
              channel_alias: https://mirror.example/conda/
              defaults: [https://mirror.example/pkgs/main]
              channels:
                - url: https://private.example/channel/
                  token_env: PRIVATE_CHANNEL_TOKEN
              pip_index: https://mirror.example/simple
              pip_index_token_env: PIP_TOKEN
              check: {conda: true, pip: false}
              glibc: "2.28"
              cache_dir: cache
              concurrency: 8
            """
        let config = try Configuration(text: text, file: "conf/smsync.yml").availability
        #expect(config.enabled)
        #expect(config.platforms == ["linux-64", "linux-aarch64"])
        #expect(config.channelPriority == .flexible)
        #expect(config.channelAlias == "https://mirror.example/conda")
        #expect(config.defaults == ["https://mirror.example/pkgs/main"])
        #expect(config.channels == [.init(url: "https://private.example/channel", tokenEnv: "PRIVATE_CHANNEL_TOKEN")])
        #expect(config.pipIndexTokenEnv == "PIP_TOKEN")
        #expect(config.checkConda && !config.checkPip)
        #expect(config.glibc == [2, 28])
        #expect(config.cacheDirectory == "conf/cache")
        #expect(config.concurrency == 8)
        #expect(config.secretNames == ["PRIVATE_CHANNEL_TOKEN", "PIP_TOKEN"])
        #expect(
            config.tokenEnv(for: "https://private.example/channel/linux-64/repodata.json") == "PRIVATE_CHANNEL_TOKEN")
        #expect(config.tokenEnv(for: "https://private.example/channel2/linux-64") == nil)
        #expect(config.tokenEnv(for: "https://mirror.example/simple/numpy/") == "PIP_TOKEN")
    }

    @Test(
        "bad values name the key and the line",
        arguments: [
            ("  channel_alias: ftp://x.example\n", "availability.channel_alias", 3),
            ("  platforms: [linux-65]\n", "availability.platforms[0]", 3),
            ("  channel_priority: loose\n", "availability.channel_priority", 3),
            ("  defaults: [\"https://a.example/../b\"]\n", "availability.defaults[0]", 3),
            (
                "  channels:\n    - url: https://a.example\n      token_env: BAD-NAME\n",
                "availability.channels[0].token_env", 5
            ),
            ("  check: {rpm: true}\n", "availability.check.rpm", 3),
            ("  glibc: two\n", "availability.glibc", 3),
            ("  colour: red\n", "availability.colour", 3),
        ])
    func badValues(line text: String, keyPath: String, line: Int) throws {
        let error = #expect(throws: ConfigError.self) {
            try Configuration(text: "envs: {dir: envs}\navailability:\n" + text, file: "smsync.yml")
        }
        #expect(error?.keyPath == keyPath, "\(String(describing: error))")
        #expect(error?.line == line, "\(String(describing: error))")
    }
}

@Suite("Availability: the planner")
struct AvailabilityPlannerTests {
    static let env = """
        name: python3
        channels: [conda-forge]
        dependencies:
          - python=3.10
          - pytorch::torchvision=0.19.0
          - numpy=2.1.1
        """

    func report(_ packages: [UpstreamPackage], runnerUp: [UpstreamPackage] = []) throws -> (DriftReport, [LocalKernel])
    {
        let local = [
            LocalKernel(
                kernel: "conda_python3", path: "python3.yml",
                file: try EnvironmentFile(text: Self.env, path: "python3.yml"))
        ]
        var releases = [
            SourceRelease(
                config: SourceConfig(kind: .envExport, url: "x", name: "env-export"),
                release: UpstreamRelease(
                    kind: .envExport, release: nil, kernels: [UpstreamKernel(kernel: "*", packages: packages)]))
        ]
        if !runnerUp.isEmpty {
            releases.append(
                SourceRelease(
                    config: SourceConfig(kind: .awsDocs, url: "y", name: "aws-docs"),
                    release: UpstreamRelease(
                        kind: .awsDocs, release: nil, kernels: [UpstreamKernel(kernel: "*", packages: runnerUp)])))
        }
        return (
            DriftEngine(policy: Policy(update: [.patch, .minor], ignore: [], downgrade: false)).diff(
                local: local, releases: releases), local
        )
    }

    var config: AvailabilityConfig {
        var config = AvailabilityConfig()
        config.enabled = true
        config.channelAlias = "https://c.example"
        config.defaults = []
        return config
    }

    static func record(_ name: String, _ version: String, python: String = "3.10") -> CondaRecord {
        CondaRecord(
            name: name, version: version, build: "h0",
            depends: ["python_abi \(python).* *_cp\(python.filter(\.isNumber))"],
            subdir: "linux-64", fileName: "\(name)-\(version)-h0.conda")
    }

    @Test func channelColonColonIsLookedUpInItsChannelOnly() throws {
        let (report, local) = try report([
            .init(name: "torchvision", version: "0.19.1", manager: .conda),
            .init(name: "numpy", version: "2.1.3", manager: .conda),
        ])
        let planner = AvailabilityPlanner(config: config)
        let plan = planner.plan(report, local: local)
        #expect(
            Set(plan.conda.keys.map { "\($0.channel) \($0.subdir)" }) == [
                "https://c.example/pytorch linux-64", "https://c.example/pytorch noarch",
                "https://c.example/conda-forge linux-64", "https://c.example/conda-forge noarch",
            ])
        #expect(plan.conda[CondaQuery(channel: "https://c.example/pytorch", subdir: "linux-64")] == ["torchvision"])
        #expect(plan.conda[CondaQuery(channel: "https://c.example/conda-forge", subdir: "linux-64")] == ["numpy"])
        var data = AvailabilityData()
        data.conda[CondaQuery(channel: "https://c.example/conda-forge", subdir: "linux-64")] = [
            "torchvision": [Self.record("torchvision", "0.19.1")], "numpy": [Self.record("numpy", "2.1.3")],
        ]
        let checked = planner.apply(plan, to: report, data: data)
        let changes = try #require(checked.kernels.first?.changes)
        let torchvision = try #require(changes.first { $0.package == "torchvision" })
        #expect(torchvision.action == .unavailable, "conda-forge's build does not count for pytorch::torchvision")
        #expect(
            torchvision.reason
                == "torchvision 0.19.1: no channel has torchvision (looked in pytorch for linux-64, noarch)")
        let numpy = try #require(changes.first { $0.package == "numpy" })
        #expect(numpy.action == .update)
        #expect(numpy.availability?.source?.summary == "conda-forge linux-64 h0")
        #expect(checked.summary.updates == 1)
        #expect(checked.summary.unavailable == 1)
    }

    @Test func anAvailableVersionAnotherSourceListsIsOffered() throws {
        let (report, local) = try report(
            [.init(name: "numpy", version: "2.1.3", manager: .conda)],
            runnerUp: [.init(name: "numpy", version: "2.1.2", manager: .conda)])
        let planner = AvailabilityPlanner(config: config)
        let plan = planner.plan(report, local: local)
        var data = AvailabilityData()
        data.conda[CondaQuery(channel: "https://c.example/conda-forge", subdir: "linux-64")] = [
            "numpy": [Self.record("numpy", "2.1.3", python: "3.12"), Self.record("numpy", "2.1.2")]
        ]
        let numpy = try #require(
            planner.apply(plan, to: report, data: data).kernels.first?.changes.first {
                $0.package == "numpy"
            })
        #expect(numpy.action == .unavailable)
        #expect(numpy.availability?.alternative == "2.1.2 (aws-docs) from conda-forge linux-64 h0")
        // Without that version on the channel, nothing is offered: no version is invented.
        data.conda[CondaQuery(channel: "https://c.example/conda-forge", subdir: "linux-64")] = [
            "numpy": [Self.record("numpy", "2.1.3", python: "3.12"), Self.record("numpy", "2.1.0")]
        ]
        let none = try #require(
            planner.apply(plan, to: report, data: data).kernels.first?.changes.first {
                $0.package == "numpy"
            })
        #expect(none.availability?.alternative == nil)
    }

    @Test func aPythonUpdateSetsThePythonTheOthersAreCheckedFor() throws {
        var policyConfig = config
        policyConfig.checkConda = true
        let local = [
            LocalKernel(
                kernel: "conda_python3", path: "python3.yml",
                file: try EnvironmentFile(text: Self.env, path: "python3.yml"))
        ]
        let planner = AvailabilityPlanner(config: policyConfig)
        let file = local[0].file
        #expect(planner.pythonTarget(file, changes: []) == PythonTarget(major: 3, minor: 10))
        let origin = DriftOrigin(
            source: "s", kind: .envExport, release: nil, name: "python", version: "3.11.9", manager: .conda)
        let update = DriftChange(
            package: "python", manager: .conda, line: 4, current: "3.10", currentSpec: "=3.10", upstream: "3.11.9",
            kind: .major, action: .update, reason: nil, origin: origin, runnerUp: nil, plannedSpec: "=3.11.9")
        #expect(planner.pythonTarget(file, changes: [update]) == PythonTarget(major: 3, minor: 11, exact: "3.11.9"))
    }

    @Test func aKindThatIsOffLeavesItsUpdatesUnchecked() throws {
        var off = config
        off.checkConda = false
        let (report, local) = try report([.init(name: "numpy", version: "2.1.3", manager: .conda)])
        let planner = AvailabilityPlanner(config: off)
        let plan = planner.plan(report, local: local)
        #expect(plan.conda.isEmpty)
        let numpy = try #require(
            planner.apply(plan, to: report, data: AvailabilityData()).kernels.first?.changes.first {
                $0.package == "numpy"
            })
        #expect(numpy.action == .update)
        #expect(numpy.availability == ChangeAvailability(status: .unchecked, reason: "availability.check.conda is off"))
    }
}
