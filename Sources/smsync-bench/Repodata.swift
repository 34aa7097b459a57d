import SMSync

#if canImport(Glibc)
import Glibc
#endif

/// `smsync-bench --repodata FILE --names-file NAMES`: what the availability check does with a large
/// `repodata.json` — map the file, scan it for the records of the named packages (one name a line), and print the
/// versions found per name. Run it whole-process (scripts/bench_repodata.py) for time and peak RSS.
enum RepodataRun {
    static func main(repodata path: String, namesFile: String, quiet: Bool) -> Int32 {
        let namesText = String(decoding: readFile(namesFile), as: UTF8.self)
        let names = Set(namesText.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty })
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            print("cannot open \(path)")
            return 2
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else {
            print("cannot stat \(path), or it is empty")
            return 2
        }
        let length = Int(info.st_size)
        guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            print("cannot map \(path)")
            return 2
        }
        close(fd)
        madvise(mapped, length, MADV_SEQUENTIAL)
        let start = now()
        let found: [String: [CondaRecord]]
        do {
            found = try RepodataScanner(names: names).scan(UnsafeRawBufferPointer(start: mapped, count: length)) {
                offset in
                // Pages already scanned are dropped, so the resident size stays small.
                madvise(mapped, offset & ~4095, MADV_DONTNEED)
            }
        } catch {
            print("\(path): \(error)")
            return 3
        }
        let seconds = now() - start
        munmap(mapped, length)
        var records = 0
        var versions = 0
        for name in found.keys.sorted() {
            let list = found[name] ?? []
            records += list.count
            let distinct = Set(list.map(\.version))
            versions += distinct.count
            if !quiet { print("\(name): \(distinct.sorted().joined(separator: " "))") }
        }
        print(
            "repodata: \(length) bytes, \(names.count) names asked, \(found.count) found, \(records) records, "
                + "\(versions) versions; scan \(format3(seconds)) s, peak RSS \(format3(peakMemoryMiB())) MiB")
        return 0
    }
}
