/// Limits that keep hostile input from exhausting the stack or memory.
enum MessagePackLimits {
    /// The deepest nesting of arrays, maps and Codable values that the coders accept.
    static let maxDepth = 512
}
