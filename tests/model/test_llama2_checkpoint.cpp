#include <cstring>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/model/llama2_checkpoint.hpp>

#include "llama2_synthetic.hpp"
#include "test_support.hpp"

using tessera::model::read_llama2_checkpoint;

TEST_CASE_TEMPLATE("read_llama2_checkpoint places every array where the format says", T, float, double)
{
    for (bool shared : {true, false})
    {
        llama2_test::tiny t;
        const auto path = llama2_test::write(shared ? "shared.bin" : "unshared.bin",
                                             llama2_test::bytes(t, shared, [](std::size_t i) { return float(i); }));
        const auto w = read_llama2_checkpoint<T>(path);
        const auto& c = w.config;
        CHECK(c.dim == 8);
        CHECK(c.hidden_dim == 12);
        CHECK(c.n_layers == 2);
        CHECK(c.n_heads == 2);
        CHECK(c.n_kv_heads == 1);
        CHECK(c.vocab_size == 10);
        CHECK(c.seq_len == 6);
        CHECK(c.shared_classifier == shared);
        CHECK(c.head_size() == 4);
        CHECK(c.kv_dim() == 4);
        // Running float offset through the arrays, in file order.
        std::size_t off = 0;
        CHECK(w.token_embedding(3, 5) == T(off + 3 * 8 + 5));
        off += 80;
        CHECK(w.layers[1].rms_att(2) == T(off + 8 + 2));
        off += 16;
        CHECK(w.layers[0].wq(7, 1) == T(off + 7 * 8 + 1));
        CHECK(w.layers[1].wq(0, 0) == T(off + 64));
        off += 128;
        CHECK(w.layers[1].wk(3, 6) == T(off + 32 + 3 * 8 + 6));
        off += 64;
        CHECK(w.layers[0].wv(0, 2) == T(off + 2));
        off += 64;
        CHECK(w.layers[1].wo(4, 4) == T(off + 64 + 36));
        off += 128;
        CHECK(w.layers[0].rms_ffn(7) == T(off + 7));
        off += 16;
        CHECK(w.layers[1].w1(11, 7) == T(off + 96 + 95));
        off += 192;
        CHECK(w.layers[0].w2(7, 11) == T(off + 95));
        off += 192;
        CHECK(w.layers[1].w3(0, 1) == T(off + 96 + 1));
        off += 192;
        CHECK(w.rms_final(0) == T(off));
        off += 8;
        CHECK(w.freq_cis_real(5, 1) == T(off + 11));
        off += 12;
        CHECK(w.freq_cis_imag(0, 0) == T(off));
        off += 12;
        if (shared)
            CHECK(w.classifier.size() == 0);
        else
            CHECK(w.classifier(9, 7) == T(off + 79));
        CHECK(off + (shared ? 0 : 80) == llama2_test::float_count(t, shared));
        CHECK_NOTHROW(w.validate());
    }
}

TEST_CASE("llama2_weights names its matrices and checks replaced shapes")
{
    llama2_test::tiny t;
    const auto path = llama2_test::write("names.bin", llama2_test::bytes(t, false, [](std::size_t) { return 0.5f; }));
    auto w = read_llama2_checkpoint<float>(path);
    const auto names = w.matrix_names();
    REQUIRE(names.size() == 1 + 7 * 2 + 1);
    CHECK(names.front() == "token_embedding");
    CHECK(names.back() == "classifier");
    for (const auto& n : names)
        CHECK(w.matrix(n).size() > 0);
    CHECK(&w.matrix("layers.1.w2") == &w.layers[1].w2);
    CHECK(w.matrix("layers.0.wk").shape(0) == 4);
    for (const char* bad : {"layers.2.w1", "layers.0.w4", "layers.x.w1", "layers.", "classifierx", "wq"})
        CHECK_THROWS_WITH_AS(w.matrix(bad), doctest::Contains("is not one of matrix_names()"),
                             tessera::invalid_argument);
    w.layers[0].w1 = xt::zeros<float>({12, 7});
    CHECK_THROWS_WITH_AS(w.validate(), "model::llama2_weights::validate: layers.0.w1 must have shape [12, 8], got [12, 7]",
                         tessera::invalid_argument);
}

TEST_CASE("malformed checkpoints throw io_error and never read out of bounds")
{
    llama2_test::tiny t;
    const auto good = llama2_test::bytes(t, true, [](std::size_t i) { return float(i % 7); });
    // Every truncation point in the header and a spread of points in the body.
    for (std::size_t cut = 0; cut < good.size(); cut += (cut < 40 ? 1 : 97))
    {
        const auto p = llama2_test::write("cut.bin", std::vector<char>(good.begin(), good.begin() + long(cut)));
        CHECK_THROWS_AS(read_llama2_checkpoint<float>(p), tessera::io_error);
    }
    auto extra = good;
    extra.push_back(0);
    CHECK_THROWS_WITH_AS(read_llama2_checkpoint<float>(llama2_test::write("extra.bin", extra)),
                         doctest::Contains("implies"), tessera::io_error);
    auto with_header = [&](int field, std::int32_t v) {
        auto b = good;
        std::memcpy(b.data() + 4 * field, &v, 4);
        return llama2_test::write("hdr.bin", b);
    };
    CHECK_THROWS_WITH_AS(read_llama2_checkpoint<float>(with_header(0, 0)), doctest::Contains("dim=0 must be in [1, 2^24]"),
                         tessera::io_error);
    CHECK_THROWS_WITH_AS(read_llama2_checkpoint<float>(with_header(2, -3)), doctest::Contains("byte 8"),
                         tessera::io_error);
    CHECK_THROWS_WITH_AS(read_llama2_checkpoint<float>(with_header(6, 1 << 30)), doctest::Contains("seq_len"),
                         tessera::io_error);
    CHECK_THROWS_WITH_AS(read_llama2_checkpoint<float>(with_header(3, 3)), doctest::Contains("inconsistent header"),
                         tessera::io_error);
    CHECK_THROWS_WITH_AS(read_llama2_checkpoint<float>(with_header(4, 3)), doctest::Contains("inconsistent header"),
                         tessera::io_error);
    CHECK_THROWS_WITH_AS(read_llama2_checkpoint<float>(with_header(3, 8)), doctest::Contains("inconsistent header"),
                         tessera::io_error);  // head size 1 is odd
    CHECK_THROWS_WITH_AS(read_llama2_checkpoint<float>(with_header(5, -10)), doctest::Contains("imply 1 x classifier [10, 8]"),
                         tessera::io_error);  // unshared needs a classifier the file lacks
    CHECK_THROWS_WITH_AS(read_llama2_checkpoint<float>(with_header(0, 0x616b3432)), doctest::Contains("ak42"),
                         tessera::io_error);
    CHECK_THROWS_WITH_AS(read_llama2_checkpoint<float>("/nonexistent/model.bin"),
                         doctest::Contains("/nonexistent/model.bin: byte 0: cannot open for reading"), tessera::io_error);
}

TEST_CASE("stories260K reads with the header the data README documents")
{
    const auto path = tessera_test::shared_data("stories260K/stories260K.bin");
    TESSERA_SKIP_IF_MISSING(path, "../shared/data/stories260K");
    const auto w = read_llama2_checkpoint<float>(path.string());
    const auto& c = w.config;
    CHECK(c.dim == 64);
    CHECK(c.hidden_dim == 172);
    CHECK(c.n_layers == 5);
    CHECK(c.n_heads == 8);
    CHECK(c.n_kv_heads == 4);
    CHECK(c.vocab_size == 512);
    CHECK(c.seq_len == 512);
    CHECK(c.shared_classifier);
    CHECK(c.rope_theta == 10000.0);  // not in the file: llama2.c's values
    CHECK(c.rms_norm_eps == 1e-5);
    // Rotary tables: row 0 is angle 0 (cos 1, sin 0); row p column i is p * 10000^(-2i/head).
    CHECK(w.freq_cis_real(0, 3) == 1.0f);
    CHECK(w.freq_cis_imag(0, 2) == 0.0f);
    CHECK(w.freq_cis_imag(7, 0) == doctest::Approx(std::sin(7.0)).epsilon(1e-6));
    CHECK(w.freq_cis_real(7, 1) == doctest::Approx(std::cos(7.0 * std::pow(10000.0, -2.0 / 8))).epsilon(1e-6));
}

// A 36-byte file whose header is in range field by field but whose implied size wraps 2^64 to
// exactly 36 bytes (dim=2^24, hidden=5592404, n_layers=2^16, n_heads=n_kv_heads=2^23,
// vocab=131071, seq_len=1): the size check must see through the wrap. (The reader before the
// fix accepted the header and failed later with "truncated: token_embedding needs ...".)
TEST_CASE("llama2 header fields are checked against the file size in file order, naming the fields")
{
    const std::int32_t h[7] = {1 << 24, 5592404, 1 << 16, 1 << 23, 1 << 23, 131071, 1};
    std::vector<char> b(36, 0);
    std::memcpy(b.data(), h, sizeof h);
    CHECK_THROWS_WITH_AS(read_llama2_checkpoint<float>(llama2_test::write("wrap.bin", b)),
                         "/tmp/tessera_llama2_wrap.bin: byte 36: header fields vocab_size=131071, dim=16777216 imply 1 x "
                         "token_embedding [131071, 16777216] from byte 28, past the end of the file (36 bytes)",
                         tessera::io_error);
    // Per-layer arrays name n_layers; the first array past the end is the one reported.
    llama2_test::tiny t;
    auto good = llama2_test::bytes(t, true, [](std::size_t) { return 1.0f; });
    const std::int32_t layers = 3;
    std::memcpy(good.data() + 8, &layers, 4);
    CHECK_THROWS_WITH_AS(read_llama2_checkpoint<float>(llama2_test::write("layers.bin", good)),
                         doctest::Contains("header fields n_layers=3, dim=8, hidden_dim=12 imply 3 x w2 [8, 12] from byte 3996, past the end of the file (4444 bytes)"),
                         tessera::io_error);
    // hidden_dim large enough that one w1 alone overflows nothing but exceeds the file.
    const std::int32_t hidden = 1 << 24;
    std::memcpy(good.data() + 4, &hidden, 4);
    CHECK_THROWS_WITH_AS(read_llama2_checkpoint<float>(llama2_test::write("hidden.bin", good)),
                         doctest::Contains("imply 3 x w1 [16777216, 8]"), tessera::io_error);
}

TEST_CASE("parse_llama2_header lists every array with its offset, tiling the file")
{
    for (bool shared : {true, false})
    {
        llama2_test::tiny t;
        const auto b = llama2_test::bytes(t, shared, [](std::size_t i) { return float(i); });
        const auto h = tessera::model::parse_llama2_header(reinterpret_cast<const unsigned char*>(b.data()), b.size(),
                                                              "mem");
        REQUIRE(h.arrays.size() == 1 + 9 * 2 + 3 + (shared ? 0 : 1));
        std::size_t at = 28;
        for (const auto& a : h.arrays)
        {
            CHECK(a.offset == at);
            std::size_t n = 4;
            for (auto d : a.shape)
                n *= d;
            at += n;
        }
        CHECK(at == b.size());
        CHECK(h.arrays[3].name == "layers.0.wq");
        CHECK(h.arrays[3].offset == 28 + 4 * (80 + 16));
        CHECK(h.arrays[1].shape == std::vector<std::size_t>{8});
        CHECK(h.arrays.back().name == (shared ? "freq_cis_imag" : "classifier"));
    }
}
