import Testing

@testable import SMSync

/// The byte-level shortcuts of the release-notes reader give what the general code gives.
@Suite("Distribution reader: shortcuts")
struct DistributionReaderShortcutTests {
    @Test func packageNamesReadByBytesAsByScalars() {
        let ascii = (0..<128).map { Character(Unicode.Scalar(UInt8($0))) }
        var names = ascii.map { String($0) }
        for first in ascii { for second in ascii { names.append(String([first, second])) } }
        names += ["numpy", "_libgcc_mutex", "r-base", "ca-certificates", ".hidden", "-x", "a b", "", "é", "naïve"]
        for name in names {
            #expect(
                DistributionReader.isCondaPackageName(name) == DistributionReader.isCondaPackageNameByScalars(name),
                "\(name.debugDescription)")
        }
    }

    @Test func linesComeOneAtATimeAsSplitGivesThem() {
        for text in ["", "\n", "\n\n", "a", "a\n", "\na", "a\nb", "a\r\nb\n", "# T\n\nx|y\n", "é\nü"] {
            #expect(
                TextLines(text).map(String.init)
                    == text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init),
                "\(text.debugDescription)")
        }
    }
}
