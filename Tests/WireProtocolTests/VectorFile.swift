import Foundation
import NIOCore

@testable import WireProtocol

/// The test-vector file format of `Protocol/vectors/README.md`: writing and reading.
enum VectorFile {
    /// What a vector file says its bytes must produce.
    enum Expectation: Equatable {
        /// Exactly one frame, decoding to a message of this type name.
        case message(String)
        /// This error, given as its protocol code name and its `WireError` case name.
        case error(code: String, kind: String)
    }

    /// A parsed vector file.
    struct Parsed {
        var expectation: Expectation
        var bytes: [UInt8]
    }

    /// `Protocol/vectors/`, found from this file's path: `Tests/WireProtocolTests/VectorFile.swift`.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Protocol/vectors", isDirectory: true)

    /// Every file in the vectors directory but its `README.md`, sorted: each must be a vector
    /// that a test knows how to check.
    static func allFileNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: self.directory.path)
            .filter { $0 != "README.md" }
            .sorted()
    }

    // MARK: Reading

    struct FormatError: Error, CustomStringConvertible {
        var description: String
    }

    /// Parses a vector file: `#` starts a comment, `expect:` lines are directives, and every
    /// other character must be a hex digit or whitespace.
    static func parse(_ text: String, file: String) throws -> Parsed {
        var expectation: Expectation?
        var hex = ""
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("expect:") {
                let words = line.dropFirst("expect:".count).split(separator: " ").map(String.init)
                switch words.first {
                case "message" where words.count == 2:
                    expectation = .message(words[1])
                case "error" where words.count == 3:
                    expectation = .error(code: words[1], kind: words[2])
                default:
                    throw FormatError(description: "\(file):\(number + 1): malformed expect line '\(line)'")
                }
                continue
            }
            let data = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            for character in data where !character.isWhitespace {
                guard character.isHexDigit else {
                    throw FormatError(description: "\(file):\(number + 1): '\(character)' is not a hex digit")
                }
                hex.append(character)
            }
        }
        guard let expectation else {
            throw FormatError(description: "\(file): no expect line")
        }
        guard hex.count.isMultiple(of: 2) else {
            throw FormatError(description: "\(file): odd number of hex digits")
        }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return Parsed(expectation: expectation, bytes: bytes)
    }

    // MARK: Writing

    /// A message encoded by the real encoder, cut into annotated fields by a tracing decode.
    static func annotatedSegments(of message: WireMessage) -> [(bytes: [UInt8], comment: String)] {
        var buffer = ByteBuffer()
        try! buffer.writeWireFrame(message)
        let bytes = Array(buffer.readableBytesView)
        let type = message.type
        var segments: [(bytes: [UInt8], comment: String)] = [
            (Array(bytes[0..<4]), "frame length = \(bytes.count - 4) (type + payload)"),
            (Array(bytes[4..<6]), "type = \(type) \(type.name!)"),
        ]
        var reader = WireReader(buffer.getSlice(at: 6, length: bytes.count - 6)!, tracing: true)
        _ = try! WireMessage(type: type, reader: &reader)
        var covered = 0
        for entry in reader.trace! {
            if entry.offset > covered {
                segments.append((Array(bytes[(6 + covered)..<(6 + entry.offset)]), "(untraced)"))
            }
            segments.append((Array(bytes[(6 + entry.offset)..<(6 + entry.offset + entry.length)]), "\(entry.field) = \(entry.value)"))
            covered = entry.offset + entry.length
        }
        if covered < bytes.count - 6 {
            segments.append((Array(bytes[(6 + covered)...]), "(untraced)"))
        }
        return segments
    }

    /// Renders a vector file.
    static func render(summary: String, expectation: Expectation, detail: String?, segments: [(bytes: [UInt8], comment: String)]) -> String {
        var lines = [
            "# Titan wire protocol v1 test vector. Format: Protocol/vectors/README.md.",
            "# Generated from Tests/WireProtocolTests by the real encoder (TITAN_REGENERATE_VECTORS=1); do not edit.",
            "#",
            "# " + summary,
        ]
        switch expectation {
        case .message(let name):
            lines.append("expect: message \(name)")
        case .error(let code, let kind):
            lines.append("expect: error \(code) \(kind)")
        }
        if let detail {
            lines.append("# " + detail)
        }
        lines.append("")
        for segment in segments {
            var rest = segment.bytes[...]
            var comment: String? = segment.comment
            repeat {
                let row = rest.prefix(16)
                rest = rest.dropFirst(16)
                let hex = row.map { String(format: "%02x", $0) }.joined(separator: " ")
                if let text = comment {
                    lines.append(hex.padding(toLength: max(hex.count, 48), withPad: " ", startingAt: 0) + "  # " + text)
                } else {
                    lines.append(hex)
                }
                comment = nil
            } while !rest.isEmpty
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes every vector of the catalog into `directory`.
    static func writeAll() throws {
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        for (file, message) in VectorCatalog.messages {
            let name = message.type.name!
            let text = self.render(
                summary: "One \(name) frame (type \(message.type)) as the Titan encoder writes it.",
                expectation: .message(name),
                detail: nil,
                segments: self.annotatedSegments(of: message)
            )
            try text.write(to: self.directory.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        for vector in VectorCatalog.hostile {
            let text = self.render(
                summary: vector.summary,
                expectation: .error(code: vector.expected.code.name, kind: vector.expected.kind),
                detail: "error: \(vector.expected.description)",
                segments: vector.segments
            )
            try text.write(to: self.directory.appendingPathComponent(vector.file), atomically: true, encoding: .utf8)
        }
    }
}
