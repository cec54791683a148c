#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <tessera/compress/llama2.hpp>
#include <tessera/compress/llama2_tokenizer.hpp>
#include <tessera/core/parallel.hpp>

#include "llama2_synthetic.hpp"
#include "test_support.hpp"

namespace tc = tessera::compress;

namespace
{
    const char* reference_text =
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she "
        "saw a big, red ball. She wanted to play with it, but it was too high";
}

TEST_CASE_TEMPLATE("greedy stories260K from BOS reproduces the published reference text", T, float, double)
{
    const auto model = tessera_test::shared_data("stories260K/stories260K.bin");
    const auto tokfile = tessera_test::shared_data("stories260K/tok512.bin");
    TESSERA_SKIP_IF_MISSING(model, "../shared/data/stories260K");
    TESSERA_SKIP_IF_MISSING(tokfile, "../shared/data/stories260K/tok512.bin");
    const auto w = tc::read_llama2_checkpoint<T>(model.string());
    const auto tok = tc::read_llama2_tokenizer(tokfile.string(), w.config.vocab_size);
    const auto tokens = tc::llama2_generate_greedy(w, 256);
    CHECK(tokens.front() == 1);
    CHECK(tokens.size() == 257);  // 256 forward passes, no BOS emitted
    const std::string text = tok.decode(tokens);
    CHECK(text.substr(0, std::string(reference_text).size()) == reference_text);
}

TEST_CASE_TEMPLATE("forward logits match an independent numpy forward pass", T, float, double)
{
    const auto model = tessera_test::shared_data("stories260K/stories260K.bin");
    TESSERA_SKIP_IF_MISSING(model, "../shared/data/stories260K");
    const auto meta = nlohmann::json::parse(std::ifstream(tessera_test::fixture("compress/llama2_stories260K_logits.json")));
    const std::vector<int> tokens = meta["tokens"];
    std::vector<double> ref(tokens.size() * 512);
    std::ifstream(tessera_test::fixture("compress/llama2_stories260K_logits.f64"), std::ios::binary)
        .read(reinterpret_cast<char*>(ref.data()), std::streamsize(ref.size() * sizeof(double)));
    const auto w = tc::read_llama2_checkpoint<T>(model.string());
    tc::llama2_runner<T> run(w);
    double worst = 0.0;
    for (std::size_t pos = 0; pos < tokens.size(); ++pos)
    {
        const auto& logits = run.forward(tokens[pos], pos);
        for (std::size_t v = 0; v < 512; ++v)
            worst = std::max(worst, std::abs(double(logits[v]) - ref[pos * 512 + v]));
        if (pos + 1 < tokens.size())
            CHECK(tc::llama2_argmax(logits) == tokens[pos + 1]);
    }
    MESSAGE("max |logit - numpy float64| = " << worst);
    CHECK(worst < (std::is_same_v<T, float> ? 2e-4 : 1e-10));
    // The same tokens again through greedy generation.
    CHECK(tc::llama2_generate_greedy(w, tokens.size() - 1) == tokens);
}

TEST_CASE_TEMPLATE("forward: identical logits at any thread count, rewinding, and checked arguments", T, float, double)
{
    llama2_test::tiny t;
    t.dim = 256;  // large enough for the matrix-vector products to run in parallel
    t.heads = 8;
    t.kv_heads = 4;
    t.hidden = 320;
    const auto path = llama2_test::write("fwd.bin", llama2_test::bytes(t, false, [](std::size_t i) {
                                             return float(std::sin(0.37 * double(i)) * 0.1);
                                         }));
    const auto w = tc::read_llama2_checkpoint<T>(path);
    std::vector<xt::xtensor<T, 1>> one, two;
    for (int threads : {1, 2})
    {
        tessera::detail::thread_count_guard guard(threads);
        tc::llama2_runner<T> run(w);
        auto& out = threads == 1 ? one : two;
        for (std::size_t pos = 0; pos < 4; ++pos)
            out.push_back(run.forward(int(pos * 3 % 10), pos));
    }
    for (std::size_t p = 0; p < 4; ++p)
        CHECK(one[p] == two[p]);
    tc::llama2_runner<T> run(w);
    run.forward(0, 0);
    run.forward(3, 1);
    const xt::xtensor<T, 1> rewound = run.forward(6, 1);
    tc::llama2_runner<T> fresh(w);
    fresh.forward(0, 0);
    CHECK(fresh.forward(6, 1) == rewound);
    CHECK_THROWS_WITH_AS(run.forward(10, 2), "llama2_runner::forward: token=10 must be in [0, 10)",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(run.forward(1, 3), "llama2_runner::forward: pos=3 skips ahead: positions [0, 2) are cached",
                         tessera::invalid_argument);
    CHECK_THROWS_WITH_AS(run.forward(1, 6), "llama2_runner::forward: pos=6 must be < seq_len=6",
                         tessera::invalid_argument);
    // Greedy generation stops at seq_len and never exceeds steps + 1 tokens.
    CHECK(tc::llama2_generate_greedy(w, 100).size() <= 7);
    CHECK(tc::llama2_generate_greedy(w, 2).size() <= 3);
    CHECK_THROWS_AS(tc::llama2_generate_greedy(w, 3, {}), tessera::invalid_argument);
    auto broken = w;
    broken.layers[1].wv = xt::zeros<T>({3, 256});
    CHECK_THROWS_WITH_AS(tc::llama2_runner<T>{broken}, doctest::Contains("layers.1.wv must have shape [128, 256]"),
                         tessera::invalid_argument);
}
