// Runs the example programs on the bundled data (and ../shared/data where they need it) and
// checks their --json output for sane values. An example whose binary was not built, or whose
// data is absent, is skipped with a message.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <sys/wait.h>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace
{
    /// build/examples/<name>, found from this test's own path (build/tests/<exe>).
    fs::path example_binary(const std::string& name)
    {
        const fs::path self = fs::read_symlink("/proc/self/exe");
        const fs::path p = self.parent_path().parent_path() / "examples" / name;
        return fs::exists(p) ? p : fs::path();
    }

    /// Runs a command, returns its stdout and exit status.
    std::pair<std::string, int> run(const std::string& cmd)
    {
        std::string out;
        FILE* pipe = popen((cmd + " 2>/dev/null").c_str(), "r");
        REQUIRE(pipe != nullptr);
        std::array<char, 4096> buf{};
        std::size_t n;
        while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0)
            out.append(buf.data(), n);
        const int status = pclose(pipe);
        return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
    }

    json run_json(const fs::path& exe, const std::string& args)
    {
        const auto [out, status] = run(exe.string() + " --json " + args);
        REQUIRE_MESSAGE(status == 0, exe.filename().string() << " " << args << " exited with " << status);
        return json::parse(out);
    }

    fs::path bundled() { return fs::path(TESSERA_SOURCE_DIR) / "examples" / "data" / "glove100d_top10k.npy"; }

    const json* find(const json& results, const std::string& method, const std::string& param)
    {
        for (const auto& r : results)
            if (r["method"] == method && r["param"] == param)
                return &r;
        return nullptr;
    }
}  // namespace

#define TESSERA_REQUIRE_EXAMPLE(var, name)                                                    \
    const fs::path var = example_binary(name);                                               \
    TESSERA_SKIP_IF_MISSING(var, std::string("example binary ") + name + " (build its target)")

TEST_CASE("every example prints --help and rejects an unknown option")
{
    for (const char* name : {"embedding_terrain", "compression_sweep", "transformer_compression",
                             "cross_space_alignment", "weight_compression", "vocab_factorization"})
    {
        const fs::path exe = example_binary(name);
        if (exe.empty())
        {
            MESSAGE("skipped: example binary " << name << " not built");
            continue;
        }
        const auto [help, ok] = run(exe.string() + " --help");
        CHECK(ok == 0);
        CHECK(help.find("usage: ") != std::string::npos);
        CHECK(help.find("--json") != std::string::npos);
        CHECK(run(exe.string() + " --no-such-option").second == 2);
    }
}

TEST_CASE("compression_sweep: SVD error falls with rank, TT with bond, ternary group 32 beats 128")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "compression_sweep");
    TESSERA_SKIP_IF_MISSING(fs::exists(bundled()) ? bundled() : fs::path(), "examples/data/glove100d_top10k.npy");
    const json j = run_json(exe, "--ranks 5,10,20,50 --k 25,50 --bonds 2,4,8 --groups 32,128 --queries 200");
    CHECK(j["rows"] == 10000);
    CHECK(j["cols"] == 100);
    const auto& r = j["results"];
    double previous = 2.0;
    for (const char* p : {"rank=5", "rank=10", "rank=20", "rank=50"})
    {
        const json* s = find(r, "svd", p);
        REQUIRE(s != nullptr);
        CHECK((*s)["rel_error"].get<double>() < previous);
        previous = (*s)["rel_error"].get<double>();
    }
    double tt_prev = 2.0;
    int tt_seen = 0;
    for (const auto& s : r)
        if (s["method"] == "tt")
        {
            CHECK(s["rel_error"].get<double>() <= tt_prev + 1e-12);  // listed by bytes = by bond
            tt_prev = s["rel_error"].get<double>();
            ++tt_seen;
        }
    CHECK(tt_seen == 3);
    const json* t32 = find(r, "ternary", "group=32");
    const json* t128 = find(r, "ternary", "group=128");
    REQUIRE((t32 && t128));
    CHECK((*t32)["rel_error"].get<double>() < (*t128)["rel_error"].get<double>());
    for (const auto& s : r)
    {
        CHECK(s["bytes"].get<double>() > 0);
        CHECK(s["recall_at_10"].get<double>() >= 0.0);
        CHECK(s["recall_at_10"].get<double>() <= 1.0);
        CHECK(s["row_cos_mean"].get<double>() <= 1.0 + 1e-9);
    }
    // Plain projection reconstruction beats the scale-corrected one on error (seed 003).
    const json* plain = find(r, "rp-gaussian", "k=25");
    const json* scaled = find(r, "rp-gaussian-scaled", "k=25");
    REQUIRE((plain && scaled));
    CHECK((*plain)["rel_error"].get<double>() < (*scaled)["rel_error"].get<double>());
    // Sorted by bytes.
    for (std::size_t i = 1; i < r.size(); ++i)
        CHECK(r[i - 1]["bytes"].get<double>() <= r[i]["bytes"].get<double>());
}

TEST_CASE("compression_sweep writes CSV and a self-contained HTML report that renders")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "compression_sweep");
    TESSERA_SKIP_IF_MISSING(fs::exists(bundled()) ? bundled() : fs::path(), "examples/data/glove100d_top10k.npy");
    const fs::path dir = fs::temp_directory_path() / "tessera_sweep_test";
    fs::create_directories(dir);
    const auto [out, status] = run(exe.string() + " --ranks 10,50 --k 25 --bonds 4 --groups 64 --queries 100 --csv " +
                                   (dir / "r.csv").string() + " --html " + (dir / "r.html").string());
    REQUIRE(status == 0);
    CHECK(out.find("svd") != std::string::npos);
    std::ifstream csv(dir / "r.csv");
    std::string line;
    std::size_t lines = 0;
    while (std::getline(csv, line))
        ++lines;
    CHECK(lines == 1 + 2 + 8 + 1 + 1);  // header, 2 SVD, 4 kinds x (plain, scaled), 1 TT, 1 ternary
    std::ifstream in(dir / "r.html");
    const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(html.find("<script") == std::string::npos);  // self-contained, no JavaScript
    CHECK(html.find("src=\"http") == std::string::npos);
    for (const char* id : {"id=\"error\"", "id=\"spectrum\"", "id=\"cosine\"", "id=\"recall\"", "id=\"pairs\""})
        CHECK_MESSAGE(html.find(id) != std::string::npos, "plot " << id << " missing");
    CHECK(html.find("data-points=\"0\"") == std::string::npos);  // every series has points
    // Headless Chromium render: the screenshot of the report must be far from blank.
    const auto [which, none] = run("command -v chromium");
    if (none != 0)
    {
        MESSAGE("skipped render check: chromium not installed (Debian package `chromium`)");
        return;
    }
    auto shot = [&](const std::string& url, const fs::path& png) {
        const std::string cmd = "timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run "
                                "--disable-background-networking --disable-component-update --disable-sync "
                                "--user-data-dir=" + (dir / "profile").string() +
                                " --window-size=1240,1600 --screenshot=" + png.string() + " " + url;
        run(cmd);
        return fs::exists(png) ? fs::file_size(png) : 0;
    };
    std::ofstream(dir / "blank.html") << "<html><body></body></html>";
    const auto blank = shot("file://" + (dir / "blank.html").string(), dir / "blank.png");
    const auto report = shot("file://" + (dir / "r.html").string(), dir / "report.png");
    REQUIRE(blank > 0);
    CHECK(report > 10 * blank);  // PNG of plots and text vs a uniform page
}

TEST_CASE("embedding_terrain: spectrum, distributions and word structure are sane")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "embedding_terrain");
    TESSERA_SKIP_IF_MISSING(fs::exists(bundled()) ? bundled() : fs::path(), "examples/data/glove100d_top10k.npy");
    const json j = run_json(exe, "--pairs 20000 --simplices 2000");
    const double d = j["cols"].get<double>();
    const auto& s = j["spectrum"];
    CHECK(s["participation_ratio"].get<double>() >= 1.0);
    CHECK(s["participation_ratio"].get<double>() <= d);
    CHECK(s["pr_over_dim"].get<double>() == doctest::Approx(s["participation_ratio"].get<double>() / d));
    CHECK(s["dims_80"].get<int>() <= s["dims_90"].get<int>());
    CHECK(s["dims_90"].get<int>() <= s["dims_95"].get<int>());
    CHECK(s["dims_95"].get<int>() <= s["dims_99"].get<int>());
    CHECK(s["dims_99"].get<int>() <= int(d));
    CHECK(j["cosine"]["min"].get<double>() >= -1.0);
    CHECK(j["cosine"]["max"].get<double>() <= 1.0);
    CHECK(j["norms"]["min"].get<double>() > 0.0);
    CHECK(j["pentachoron"]["ratio_to_gaussian"].get<double>() > 0.0);
    CHECK(j["pentachoron"]["count"] == 2000);
    // GloVe's digits lie on a rough number line: cosine falls as |i - j| grows.
    REQUIRE(j.contains("digits"));
    CHECK(j["digits"]["pairs"] == 45);
    CHECK(j["digits"]["spearman_gap_vs_cosine"].get<double>() < 0.0);
    for (const auto& c : j["categories"])
        CHECK(c["lift_over_random"].get<double>() > 0.0);  // categories cohere
}

TEST_CASE("transformer_compression: the uncompressed copy has KL = 0 exactly and the reference text")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "transformer_compression");
    const auto model = tessera_test::shared_data("stories260K/stories260K.bin");
    TESSERA_SKIP_IF_MISSING(model, "../shared/data/stories260K");
    const json j = run_json(exe, "--model " + model.string() +
                                     " --embed-ranks 8,48 --embed-k 32 --ffn-bonds 4 --ternary-groups 32 --steps 64 "
                                     "--samples 1");
    CHECK(j["reference_text"].get<std::string>().rfind("Once upon a time, there was a little girl named Lily.", 0) == 0);
    const auto& r = j["results"];
    REQUIRE(r.size() == 6);
    CHECK(r[0]["name"] == "uncompressed");
    CHECK(r[0]["mean_kl"].get<double>() == 0.0);
    CHECK(r[0]["max_kl"].get<double>() == 0.0);
    CHECK(r[0]["top1_agreement"].get<double>() == 1.0);
    CHECK(r[0]["same_text"] == true);
    CHECK(r[0]["ratio"].get<double>() == 1.0);
    CHECK(r[1]["name"] == "embedding svd rank=8");
    CHECK(r[2]["name"] == "embedding svd rank=48");
    CHECK(r[2]["mean_kl"].get<double>() < r[1]["mean_kl"].get<double>());  // more rank, less drift
    CHECK(r[2]["top1_agreement"].get<double>() > r[1]["top1_agreement"].get<double>());
    for (std::size_t i = 1; i < r.size(); ++i)
    {
        CHECK(r[i]["mean_kl"].get<double>() > 0.0);
        CHECK(r[i]["ratio"].get<double>() > 1.0);
        for (const auto& m : r[i]["matrices"])
        {
            CHECK(m["rel_error"].get<double>() > 0.0);
            CHECK(m["rel_error"].get<double>() < 1.5);
        }
    }
}

TEST_CASE("cross_space_alignment: GloVe 100d <-> USE-lite reproduces the reference held-out retrieval")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "cross_space_alignment");
    const auto glove = tessera_test::fetched_data("glove100d.npy");
    const auto use = tessera_test::fetched_data("use_lite_embeddings.npy");
    TESSERA_SKIP_IF_MISSING(glove, "fetched glove100d.npy");
    TESSERA_SKIP_IF_MISSING(use, "fetched use_lite_embeddings.npy");
    const json j = run_json(exe, "--a " + glove.string() + " --b " + use.string() + " --b-words " +
                                     (use.parent_path() / "use_lite.vocab").string());
    CHECK(j["shared_words"] == 4311);
    CHECK(j["anchors"] == 3448);
    const auto& d = j["directions"];
    REQUIRE(d.size() == 2);
    CHECK(d[0]["p_at_1"].get<double>() == doctest::Approx(0.51).epsilon(0.08));  // reference: about 0.51
    CHECK(d[1]["p_at_1"].get<double>() == doctest::Approx(0.67).epsilon(0.08));  // reference: about 0.67
    for (const auto& r : d)
    {
        CHECK(r["p_at_1"].get<double>() <= r["p_at_5"].get<double>());
        CHECK(r["p_at_5"].get<double>() <= r["p_at_10"].get<double>());
        CHECK(r["status"] == "ok");
    }
}

TEST_CASE("weight_compression: per-matrix sweeps of the USE-lite weights behave")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "weight_compression");
    const auto st = tessera_test::fetched_data("use_lite.safetensors");
    TESSERA_SKIP_IF_MISSING(st, "fetched use_lite.safetensors");
    const json j = run_json(exe, "--input " + st.string() + " --only tanh_layer_0 --bonds 8,32 --groups 32,128");
    REQUIRE(j["matrices"].size() == 1);
    const auto& m = j["matrices"][0];
    CHECK(m["rows"] == 512);
    CHECK(m["cols"] == 512);
    double svd_prev = 2.0, tt_prev = 2.0, t32 = 0, t128 = 0;
    for (const auto& r : m["results"])
    {
        const double e = r["rel_error"].get<double>();
        if (r["method"] == "svd")
        {
            CHECK(e < svd_prev);
            svd_prev = e;
        }
        if (r["method"] == "tt")
        {
            CHECK(e < tt_prev);
            tt_prev = e;
        }
        if (r["param"] == "group=32")
            t32 = e;
        if (r["param"] == "group=128")
            t128 = e;
    }
    CHECK(t32 < t128);
}

TEST_CASE("vocab_factorization: RoBERTa's 50265 = 3 x 3 x 5 x 1117 and the seed's 9 x 5 x 1117 grouping")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "vocab_factorization");
    const json j = run_json(exe, "");
    CHECK(j["vocab_prime_factors"] == json::array({3, 3, 5, 1117}));
    CHECK(j["vocab_next_smooth"] == 50400);
    const auto& g = j["groupings"][0];
    CHECK(g["grouping"] == "9x5x1117");
    CHECK(g["exact"] == true);
    CHECK(g["params_sum"].get<double>() == (9 + 5 + 1117) * 768.0);
    CHECK(g["params_concat"].get<double>() == (9 + 5 + 1117) * 256.0);
    for (const auto& s : j["tt_shapes"])
    {
        CHECK(s["padded_rows"].get<std::size_t>() >= 50265);
        CHECK(s["params"].get<double>() < 50265.0 * 768);
    }
}

TEST_CASE("ternary_layer: the stories260K FFN through 2-bit, base-3 and f16-scale packings")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "ternary_layer");
    const fs::path data = tessera_test::shared_data("stories260K/stories260K.bin");
    TESSERA_SKIP_IF_MISSING(data, "../shared/data/stories260K/stories260K.bin");
    const auto [out, status] = run(exe.string() + " " + data.string());
    REQUIRE(status == 0);
    CHECK(out.find("outputs identical to the 2-bit layout: yes") != std::string::npos);
    // "<label> relative error X, mean cosine Y" for a line starting with label
    auto error_of = [&](const std::string& label) {
        const auto at = out.find(label);
        REQUIRE_MESSAGE(at != std::string::npos, "no line " << label);
        const auto e = out.find("relative error ", at);
        return std::stod(out.substr(e + 15));
    };
    const double int8_vs_fp32x = error_of("  ternary W + int8 x   vs ternary W + fp32 x");
    const double f16 = error_of("  f16 scales           vs f32 scales");
    CHECK(int8_vs_fp32x > 0.0);
    CHECK(int8_vs_fp32x < 0.02);
    CHECK(f16 > 0.0);  // binary16 rounding of the scales does change the outputs ...
    CHECK(f16 < 0.005);  // ... by a fraction of what the int8 activations cost
    const auto bytes_at = [&](const std::string& label) { return std::stoul(out.substr(out.find(label) + label.size())); };
    // 2 bytes saved per scale: W1 and W3 172 rows x 1 group of 64, W2 64 rows x 3 groups
    CHECK(bytes_at("-> ternary ") - bytes_at("f16 scales: ") == 2 * (172 + 172 + 64 * 3));
}
