/// One conda package requirement as it appears in an environment file, parsed as conda's `MatchSpec`.
///
/// INTERFACE STUB: the real implementation replaces this file.
public struct CondaMatchSpec: Sendable, Hashable {
    /// How the version (and build) were written; the lossless editor keeps the form.
    public enum Form: Sendable, Hashable {
        /// `name` alone.
        case nameOnly
        /// `name=1.2` or `name=1.2=build` (conda's `=` separator form).
        case equals
        /// `name 1.2` or `name 1.2 build` (space separated).
        case spaced
        /// `name==1.2`, `name>=1.2,<2`, `name~=1.2`, `name<2|>3` ... (operator glued to the name).
        case glued
        /// `name[version='>=1,<2', build='*cpu*']`.
        case bracket
    }

    public var channel: String?
    public var subdir: String?
    public var name: String
    /// Version-spec text as written: for `name=1.2` it is `=1.2`, for `name==1.2` `==1.2`,
    /// for `name>=1,<2` `>=1,<2`, for `name 1.2` `1.2`, for `name=1.2=b` `=1.2`, for bracket keys the quoted text.
    public var versionText: String?
    /// The parsed version spec (`name=1.2` means `1.2.*`, `name=1.2=b` means exactly `1.2`).
    public var version: CondaVersionSpec?
    public var build: String?
    public var form: Form
    /// UTF-8 offsets, within the parsed string, of exactly `versionText` (so for `name=1.2=b` they cover `=1.2`).
    public var versionRange: Range<Int>?
    /// UTF-8 offsets of the build string together with the separator before it (`=py36_0` or ` py36_0`);
    /// nil for bracket builds and when there is no build.
    public var buildRange: Range<Int>?

    public static func parse(_ text: String) throws(VersionError) -> CondaMatchSpec {
        CondaMatchSpec(name: text, form: .nameOnly)
    }

    public init(
        channel: String? = nil, subdir: String? = nil, name: String, versionText: String? = nil,
        version: CondaVersionSpec? = nil, build: String? = nil, form: Form,
        versionRange: Range<Int>? = nil, buildRange: Range<Int>? = nil
    ) {
        self.channel = channel
        self.subdir = subdir
        self.name = name
        self.versionText = versionText
        self.version = version
        self.build = build
        self.form = form
        self.versionRange = versionRange
        self.buildRange = buildRange
    }
}
