import RelayCrypto
import Testing

/// `SHA256.digest` pads the message itself and hands OpenSSL one block at a time: besides the
/// published examples (``knownVectors()``), every length across the one-, two- and three-block
/// boundaries against a plain implementation of the standard written here.
extension SHA256Tests {
    @Test func matchesThePlainAlgorithmAtEveryLengthUpToThreeBlocks() {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for length in 0...200 {
            let bytes = (0..<length).map { _ -> UInt8 in
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                return UInt8(truncatingIfNeeded: state)
            }
            #expect(SHA256.hexDigest(bytes) == Self.plainHexDigest(bytes), "length \(length)")
        }
    }

    /// One- and two-letter lowercase texts are answered from a table worked out once: every such
    /// text, and every text of one or two bytes around the letters (`_`, `` ` ``, `{`, `|`), gets
    /// the digest the standard gives; so do three letters and an empty text (computed).
    @Test func shortLetterTextsGetTheirDigests() {
        let around = Array(UInt8(0x5F)...UInt8(0x7C))
        var texts: [[UInt8]] = [[], Array("abc".utf8), Array("zz ".utf8), Array("AB".utf8)]
        texts += around.map { [$0] }
        texts += around.flatMap { first in around.map { [first, $0] } }
        for text in texts {
            #expect(SHA256.hexDigest(text) == Self.plainHexDigest(text), "\(String(decoding: text, as: UTF8.self))")
        }
    }

    /// SHA-256 as FIPS 180-4 §6.2 states it, a block at a time, nothing shared with the relay's code.
    static func plainHexDigest(_ message: [UInt8]) -> String {
        let k: [UInt32] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
        ]
        var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
        var padded = message + [0x80]
        while padded.count % 64 != 56 { padded.append(0) }
        let bits = UInt64(message.count) * 8
        padded += (0..<8).map { UInt8(truncatingIfNeeded: bits >> (56 - 8 * UInt64($0))) }
        func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 { value >> count | value << (32 - count) }
        for block in stride(from: 0, to: padded.count, by: 64) {
            var w = (0..<16).map { index in
                (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(padded[block + 4 * index + $1]) }
            }
            for t in 16..<64 {
                let s0 = rotate(w[t - 15], 7) ^ rotate(w[t - 15], 18) ^ (w[t - 15] >> 3)
                let s1 = rotate(w[t - 2], 17) ^ rotate(w[t - 2], 19) ^ (w[t - 2] >> 10)
                w.append(w[t - 16] &+ s0 &+ w[t - 7] &+ s1)
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for t in 0..<64 {
                let t1 = hh &+ (rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[t] &+ w[t]
                let t2 = (rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            for (index, value) in [a, b, c, d, e, f, g, hh].enumerated() { h[index] &+= value }
        }
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: h.flatMap { word in (0..<8).map { hex[Int(word >> (28 - 4 * UInt32($0)) & 0xF)] } }, as: UTF8.self)
    }
}
