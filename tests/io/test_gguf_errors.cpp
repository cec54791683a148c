// GGUF reader on malformed files: each defect throws tessera::io_error naming the file and the
// byte offset of the offending field, and nothing is read out of bounds (also fuzzed:
// tests/fuzz/fuzz_gguf.cpp).
#include <cstdint>
#include <string>

#include <doctest/doctest.h>
#include <tessera/io/gguf.hpp>

#include "io_test_util.hpp"

namespace io = tessera::io;

namespace
{
    /// A GGUF image built field by field.
    struct image
    {
        std::string b;
        image& u32(std::uint32_t v) { return put(v, 4); }
        image& u64(std::uint64_t v) { return put(v, 8); }
        image& str(const std::string& s) { u64(s.size()); b += s; return *this; }
        image& put(std::uint64_t v, int n)
        {
            for (int i = 0; i < n; ++i)
                b.push_back(static_cast<char>(i < 8 ? (v >> (8 * i)) & 0xff : 0));  // bytes past 8 are 0
            return *this;
        }
        image& header(std::uint64_t n_tensors, std::uint64_t n_kv, std::uint32_t version = 3)
        {
            b = "GGUF";
            return u32(version).u64(n_tensors).u64(n_kv);
        }
        /// name, n_dims, ne..., type, offset
        image& tensor(const std::string& name, std::initializer_list<std::uint64_t> ne, std::uint32_t type, std::uint64_t off)
        {
            str(name).u32(static_cast<std::uint32_t>(ne.size()));
            for (auto n : ne)
                u64(n);
            return u32(type).u64(off);
        }
        image& pad(std::size_t to = 32)
        {
            b.resize((b.size() + to - 1) / to * to, '\0');
            return *this;
        }
        image& data(std::size_t n)
        {
            b.append(n, '\x01');
            return *this;
        }
    };

    void expect(const image& im, const std::string& where, const std::string& needle)
    {
        const std::string p = io_test::write_temp("gguf_bad.gguf", im.b);
        io_test::check_io_error([&] { io::gguf_file f(p); }, p, where, needle);
    }
}  // namespace

TEST_CASE("gguf errors: a valid hand-built image opens")
{
    image im;
    im.header(2, 1).str("k").u32(8).str("v");
    im.tensor("a", {4, 2}, 0, 0).tensor("b", {32}, 8, 32).pad().data(32).data(34).pad();
    const std::string p = io_test::write_temp("gguf_ok.gguf", im.b);
    const io::gguf_file f(p);
    CHECK(f.read<float, 2>("a")(1, 3) == doctest::Approx(2.3694278e-38));
    CHECK(f.info("b").bytes == 34);
}

TEST_CASE("gguf errors: header, counts, strings, values")
{
    image im;
    im.b = "GGU";
    expect(im, "byte 0", "truncated: magic needs 4 bytes");
    im.b = "GGML";
    expect(im, "byte 0", "not a GGUF file");
    im.header(0, 0).b.resize(10);
    expect(im, "byte 8", "truncated: tensor count needs 8 bytes");
    expect(image().header(0, 0, 7), "byte 4", "unknown GGUF version 7");
    expect(image().header(0, 0, 0x03000000), "byte 4", "big-endian GGUF (version 3) is not supported");
    expect(image().header(1ull << 40, 0), "byte 8", "tensor count 1099511627776 cannot fit");
    expect(image().header(0, 1000), "byte 16", "metadata count 1000 cannot fit");
    expect(image().header(0, 1).u64(1000).put(0, 8).put(0, 8), "byte 24", "metadata key length 1000 runs past the end of the file");
    expect(image().header(0, 1).str("k").u32(13).put(0, 8), "byte 33", "key 'k': unknown value type 13");
    expect(image().header(0, 1).str("k").u32(8).u64(~0ull).put(0, 4), "byte 37", "string value length 18446744073709551615 runs past");
    expect(image().header(0, 1).str("k").u32(9).u32(4).u64(1ull << 60).put(0, 4), "byte 41",
           "key 'k': array of 1152921504606846976 uint32 needs at least 4 bytes each");
    expect(image().header(0, 1).str("k").u32(7).put(2, 1).put(0, 12), "byte 37", "key 'k': bool value 2 is not 0 or 1");
    expect(image().header(0, 2).str("k").u32(0).put(1, 1).str("k").u32(0).put(1, 1).put(0, 8), "byte 38", "duplicate metadata key 'k'");
    image deep;
    deep.header(0, 1).str("k").u32(9);
    for (int i = 0; i < 9; ++i)
        deep.u32(9).u64(1);
    deep.u32(0).u64(0).put(0, 40);
    expect(deep, "byte 133", "key 'k': arrays nested deeper than 8");
    expect(image().header(0, 1).str("general.alignment").u32(4).u32(48).put(0, 8), "byte 24",
           "general.alignment must be a uint32 power of two, got 48");
    expect(image().header(0, 1).str("general.alignment").u32(8).str("x").put(0, 8), "byte 24",
           "general.alignment must be a uint32 power of two, got string");
}

TEST_CASE("gguf errors: tensor infos and data layout")
{
    expect(image().header(1, 0).str("t").u32(5).put(0, 40), "byte 33", "tensor 't': n_dims=5 exceeds 4");
    expect(image().header(1, 0).tensor("t", {1ull << 32, 1ull << 32}, 0, 0).pad(), "byte 33",
           "tensor 't': element count overflows 63 bits at ne[1]=4294967296");
    expect(image().header(1, 0).tensor("t", {~0ull}, 0, 0).pad(), "byte 33", "element count overflows 63 bits at ne[0]");
    expect(image().header(1, 0).tensor("t", {4}, 77, 0).pad(), "byte 45", "tensor 't': unknown ggml type 77");
    expect(image().header(1, 0).tensor("t", {4}, 4, 0).pad(), "byte 45", "tensor 't': unknown ggml type 4");
    expect(image().header(1, 0).tensor("t", {100}, 12, 0).pad(), "byte 33",
           "tensor 't': row length ne[0]=100 is not a multiple of the Q4_K block of 256");
    expect(image().header(1, 0).tensor("t", {4}, 0, 16).pad().data(64), "byte 49", "tensor 't': offset 16 is not a multiple of the alignment 32");
    expect(image().header(1, 0).tensor("t", {4}, 0, 32).pad().data(40), "byte 49",
           "tensor 't': data [32, +16) lies outside the 40-byte data section at byte 64");
    expect(image().header(1, 0).tensor("t", {16}, 0, 0).pad().data(63), "byte 49", "data [0, +64) lies outside the 63-byte");
    expect(image().header(2, 0).tensor("a", {16}, 0, 0).tensor("b", {4}, 0, 32).pad().data(128), "byte 128",
           "tensor 'b' overlaps tensor 'a' (data [32, +16) vs [0, +64))");
    expect(image().header(2, 0).tensor("a", {4}, 0, 0).tensor("a", {4}, 0, 32).pad().data(64), "byte 57", "duplicate tensor name 'a'");
    expect(image().header(1, 0).str("t").u32(2).u64(4).put(0, 3), "byte 45", "truncated: ne needs 8 bytes");
}
