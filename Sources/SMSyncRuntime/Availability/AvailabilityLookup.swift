import SMSync

/// Where the installable records come from: conda channels and a PEP 691 package index. The HTTP implementation
/// fetches sharded repodata or `repodata.json` with a cache; tests may supply their own.
public protocol AvailabilityLookup: Sendable {
    /// The records of the named packages (lower-case names) in one subdir of a channel (`https://conda.anaconda.org/
    /// conda-forge`, `linux-64`). A name the channel does not have is absent from the result.
    func condaRecords(channel: String, subdir: String, names: Set<String>) async throws -> [String: [CondaRecord]]

    /// The files of one project (a PEP 503-normalised name) on a PEP 691 index; nil when the index does not know
    /// the project.
    func indexFiles(indexURL: String, project: String) async throws -> [IndexFile]?
}
