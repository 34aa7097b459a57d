/// Fields that most values of a type leave at their defaults (`init()`), for ``OutOfLine``.
protocol OutOfLineFields: Sendable, Equatable {
    init()
}

/// Fields that most values of a type leave at their defaults, held behind one reference that is nil while they all
/// are: the value holding them stays small (a workspace or report holds one per dependency), and a copy of it
/// retains at most one object. Value semantics: the fields are never changed in place, only replaced.
struct OutOfLine<Fields: OutOfLineFields>: Sendable {
    private final class Box: Sendable {
        let fields: Fields

        init(_ fields: Fields) { self.fields = fields }
    }

    private var box: Box?

    /// All fields at their defaults.
    init() {}

    /// Fields of which the caller knows one is not at its default (so the hot path of building a value compares
    /// nothing).
    init(boxing fields: Fields) {
        box = Box(fields)
    }

    /// The fields; nil while every one has its default.
    var stored: Fields? { box?.fields }

    mutating func update(_ change: (inout Fields) -> Void) {
        var fields = box?.fields ?? Fields()
        change(&fields)
        box = fields == Fields() ? nil : Box(fields)
    }
}
