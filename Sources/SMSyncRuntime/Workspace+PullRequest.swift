import Foundation
import SMSync

extension Workspace {
    /// Like ``load(configPath:)``, but when the run publishes a pull request through GitHub (`pullRequestMode` and
    /// a `pull_request.github` in the configuration) the env files may be absent locally: a pull-request run reads
    /// them from the base branch, so a deployment needs no checkout. Kernels are then empty. Env files that are
    /// present are still read (and must be valid), for the notes on dependencies removed on the base branch.
    public static func load(configPath: String, pullRequestMode: Bool) throws(ConfigError) -> Workspace {
        try load(configuration: try loadConfiguration(configPath: configPath), pullRequestMode: pullRequestMode)
    }

    /// Like ``load(configPath:pullRequestMode:)``, for a configuration already read.
    public static func load(configuration: Configuration, pullRequestMode: Bool) throws(ConfigError) -> Workspace {
        if pullRequestMode, configuration.pullRequest.github != nil, !hasLocalEnvironmentFiles(configuration) {
            return Workspace(configuration: configuration, kernels: [])
        }
        return Workspace(configuration: configuration, kernels: try loadKernels(configuration))
    }

    /// Whether the env folder or any explicitly mapped env file exists on this machine.
    static func hasLocalEnvironmentFiles(_ configuration: Configuration) -> Bool {
        var isDirectory: ObjCBool = false
        if let directory = configuration.envsDirectory,
            FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
        {
            return true
        }
        return configuration.explicitKernels.contains { FileManager.default.fileExists(atPath: $0.file) }
    }
}
