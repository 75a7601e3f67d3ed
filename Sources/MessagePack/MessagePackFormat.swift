/// Names MessagePack format bytes for error messages.
enum MessagePackFormat {
    static func name(of byte: UInt8) -> String {
        let hex = "0x" + String(byte, radix: 16, uppercase: false)
        let name: String
        switch byte {
        case 0x00...0x7f: name = "positive fixint \(byte)"
        case 0x80...0x8f: name = "fixmap"
        case 0x90...0x9f: name = "fixarray"
        case 0xa0...0xbf: name = "fixstr"
        case 0xc0: name = "nil"
        case 0xc1: name = "the never-used byte"
        case 0xc2: name = "false"
        case 0xc3: name = "true"
        case 0xc4: name = "bin8"
        case 0xc5: name = "bin16"
        case 0xc6: name = "bin32"
        case 0xc7: name = "ext8"
        case 0xc8: name = "ext16"
        case 0xc9: name = "ext32"
        case 0xca: name = "float32"
        case 0xcb: name = "float64"
        case 0xcc: name = "uint8"
        case 0xcd: name = "uint16"
        case 0xce: name = "uint32"
        case 0xcf: name = "uint64"
        case 0xd0: name = "int8"
        case 0xd1: name = "int16"
        case 0xd2: name = "int32"
        case 0xd3: name = "int64"
        case 0xd4: name = "fixext1"
        case 0xd5: name = "fixext2"
        case 0xd6: name = "fixext4"
        case 0xd7: name = "fixext8"
        case 0xd8: name = "fixext16"
        case 0xd9: name = "str8"
        case 0xda: name = "str16"
        case 0xdb: name = "str32"
        case 0xdc: name = "array16"
        case 0xdd: name = "array32"
        case 0xde: name = "map16"
        case 0xdf: name = "map32"
        default: name = "negative fixint \(Int8(bitPattern: byte))"
        }
        return "\(name) (\(hex))"
    }
}
