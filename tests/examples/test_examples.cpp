// Runs the example programs on the bundled data (and ../shared/data where they need it) and
// checks their --json output for sane values. An example whose binary was not built, or whose
// data is absent, is skipped with a message.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <tessera/core/version.hpp>
#include <tessera/io/npy.hpp>

#include "../io/wordnet_dir.hpp"
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

    /// Runs a command, returns its stdout (and stderr when `with_stderr`) and exit status (-1
    /// when a signal ended it: a crash).
    std::pair<std::string, int> run(const std::string& cmd, bool with_stderr = false)
    {
        std::string out;
        FILE* pipe = popen((cmd + (with_stderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r");
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

namespace
{
    /// A fresh, empty temporary folder for one test.
    fs::path temp_dir(const std::string& name)
    {
        const fs::path dir = fs::temp_directory_path() / ("tessera_examples_" + name);
        fs::remove_all(dir);
        fs::create_directories(dir);
        return dir;
    }

    /// A rows x cols float32 .npy (values i - j / 3, no two rows parallel) and its .words file.
    void write_matrix(const fs::path& npy, std::size_t rows, std::size_t cols, const std::vector<std::string>& words)
    {
        xt::xtensor<float, 2> m = xt::xtensor<float, 2>::from_shape({rows, cols});
        for (std::size_t i = 0; i < rows; ++i)
            for (std::size_t j = 0; j < cols; ++j)
                m(i, j) = float(i + 1) * float(j % 3) - float(j) / 3.0f + float(i * i % 7);
        tessera::io::write_npy(npy.string(), m);
        std::ofstream w(fs::path(npy).replace_extension(".words"));
        for (const auto& s : words)
            w << s << "\n";
    }

    /// A llama2.c v0 file: the 7-int header, then `floats` zero float32 values.
    fs::path write_llama2(const fs::path& path, const std::array<std::int32_t, 7>& header, std::size_t floats)
    {
        std::ofstream f(path, std::ios::binary);
        f.write(reinterpret_cast<const char*>(header.data()), sizeof(header));
        const std::vector<float> zeros(floats, 0.0f);
        f.write(reinterpret_cast<const char*>(zeros.data()), static_cast<std::streamsize>(4 * floats));
        return path;
    }

    bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }
}  // namespace

TEST_CASE("every example: --help exits 0 with usage, an unknown flag exits 2, a malformed number exits 2 naming it")
{
    struct entry
    {
        const char* name;
        const char* bad_number;  // arguments with one malformed number ("" when none takes numbers)
        const char* names;       // what the message must name
    };
    const entry table[] = {
        {"compression_sweep", "--queries 12abc", "--queries expects"},
        {"cross_space_alignment", "--anchors nan", "--anchors expects"},
        {"embedding_terrain", "--pairs 18446744073709551616", "--pairs expects"},
        {"import_data", "top m.npy m.words ten out", "N expects"},
        {"io_nearest", "--k -3", "--k expects"},
        {"quickstart", "", ""},
        {"simplex_volume_cv", "m.npy four", "K expects"},
        {"spectral_compress", "", ""},
        {"streaming_pca", "--gb 1x", "--gb expects"},
        {"ternary_layer", "", ""},
        {"tessera_info", "", ""},
        {"transformer_compression", "--ffn-bonds 4,,8", "--ffn-bonds expects"},
        {"tt_layer", "", ""},
        {"vocab_factorization", "--rank 1e3", "--rank expects"},
        {"weight_compression", "--svd-fractions 0.5,2", "--svd-fractions expects"},
        {"word_similarity", "", ""},
        {"wordnet_probe", "--pairs 1e4", "--pairs expects"},
    };
    for (const auto& e : table)
    {
        CAPTURE(e.name);
        const fs::path exe = example_binary(e.name);
        if (exe.empty())
        {
            MESSAGE("skipped: example binary " << std::string(e.name) << " not built");
            tessera_test::record_skip(std::string("example binary ") + e.name + " not built");
            continue;
        }
        const auto [help, ok] = run(exe.string() + " --help");
        CHECK(ok == 0);
        CHECK(has(help, "usage: "));
        const auto [unknown, status] = run(exe.string() + " --no-such-flag", true);
        CHECK(status == 2);
        CHECK(has(unknown, "--no-such-flag"));
        if (*e.bad_number)
        {
            const auto [msg, code] = run(exe.string() + " " + e.bad_number, true);
            CHECK(code == 2);
            CHECK_MESSAGE(has(msg, std::string(e.name) + ": " + e.names), msg);
            CHECK_MESSAGE(has(msg, ", got '"), msg);
        }
    }
}

TEST_CASE("io_nearest: more words than rows is refused, fewer than 6 rows works, control characters are escaped")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "io_nearest");
    const fs::path dir = temp_dir("io_nearest");
    const std::string env = "TESSERA_DATA_DIR=" + dir.string() + " ";
    // 3 rows, 6 words: used to read past the matrix (heap overflow).
    write_matrix(dir / "glove100d.npy", 3, 4, {"a", "b", "c", "d", "e", "f"});
    const auto [more, more_status] = run(env + exe.string() + " f", true);
    CHECK(more_status == 1);
    CHECK_MESSAGE(has(more, "6 words but the matrix has 3 rows"), more);
    // 3 rows: at most 2 neighbours exist (used to sort 5 of 2: heap overflow); the ESC in a word is escaped.
    write_matrix(dir / "glove100d.npy", 3, 4, {"a", "\x1b[31mred", "c"});
    const auto [few, few_status] = run(env + exe.string() + " a", true);
    CHECK(few_status == 0);
    CHECK_MESSAGE(has(few, "\\x1b[31mred ("), few);
    CHECK(!has(few, "\x1b"));
    const auto line = few.substr(few.find("\na:") + 1);
    CHECK(std::count(line.begin(), line.end(), '(') == 2);
    fs::remove_all(dir);
}

TEST_CASE("ternary_layer and spectral_compress: crafted llama2.c headers fail with the file and field, never crash")
{
    const fs::path dir = temp_dir("llama2");
    const std::size_t floats = 264128;  // the stories260K payload size
    struct bad
    {
        const char* file;
        std::array<std::int32_t, 7> header;
        const char* message;
    };
    const bad cases[] = {
        {"zero_heads.bin", {64, 172, 5, 0, 4, 512, 512}, "n_heads"},           // was SIGFPE
        {"large_dims.bin", {1 << 20, 172, 5, 8, 4, 512, 512}, "dim=1048576"},  // was a heap overflow
        {"negative.bin", {64, -172, 5, 8, 4, 512, 512}, "hidden_dim"},
        {"huge.bin", {64, 172, 0x7fffffff, 8, 4, 512, 512}, "n_layers"},
    };
    for (const char* name : {"ternary_layer", "spectral_compress"})
    {
        const fs::path exe = example_binary(name);
        if (exe.empty())
        {
            MESSAGE("skipped: example binary " << std::string(name) << " not built");
            tessera_test::record_skip(std::string("example binary ") + name + " not built");
            continue;
        }
        for (const auto& c : cases)
        {
            CAPTURE(name);
            CAPTURE(c.file);
            const fs::path f = write_llama2(dir / c.file, c.header, floats);
            const auto [out, status] = run(exe.string() + " " + f.string(), true);
            CHECK(status == 1);
            CHECK_MESSAGE(has(out, f.string()), out);
            CHECK_MESSAGE(has(out, c.message), out);
        }
        // A consistent header over an all-zero payload: no spectrum to speak of. Never print nan.
        const fs::path zeros = write_llama2(dir / "zeros.bin", {64, 172, 5, 8, 4, 512, 512}, floats);
        const auto [out, status] = run(exe.string() + " " + zeros.string(), true);
        CAPTURE(name);
        CHECK_MESSAGE(!has(out, "nan"), out);
        CHECK(status == (std::string(name) == "spectral_compress" ? 1 : 0));
    }
    fs::remove_all(dir);
}

TEST_CASE("vocab_factorization: an absurd --vocab is refused at once (next_smooth used to wrap around and spin)")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "vocab_factorization");
    const auto [out, status] = run("timeout 60 " + exe.string() + " --vocab 18446744073709551615", true);
    CHECK(status == 2);
    CHECK_MESSAGE(has(out, "vocab_factorization: --vocab expects an integer in [1, 4294967296], got '18446744073709551615'"),
                  out);
    const auto [big, big_status] = run("timeout 60 " + exe.string() + " --vocab 4294967296 --dim 4294967291", true);
    CHECK(big_status == 0);  // the largest accepted sizes finish (a prime dim needs padding)
}

TEST_CASE("compression_sweep: an unwritable --html or --csv fails with the path and exit 1")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "compression_sweep");
    const fs::path dir = temp_dir("sweep_unwritable");
    write_matrix(dir / "m.npy", 40, 6, std::vector<std::string>());
    fs::remove(dir / "m.words");
    const std::string args = " --input " + (dir / "m.npy").string() + " --ranks 2 --k 2 --bonds 2 --groups 6 --queries 5";
    for (const char* flag : {"--html", "--csv"})
    {
        const std::string target = (dir / "missing" / "r.out").string();
        const auto [out, status] = run(exe.string() + args + " " + flag + " " + target, true);
        CAPTURE(flag);
        CHECK(status == 1);
        CHECK_MESSAGE(has(out, "compression_sweep: cannot write " + target), out);
    }
    fs::remove_all(dir);
}

TEST_CASE("import_data: shard paths outside the model folder are refused and a failed import leaves no output")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "import_data");
    const fs::path dir = temp_dir("import");
    fs::create_directories(dir / "model");
    fs::create_directories(dir / "out");
    std::ofstream(dir / "secret", std::ios::binary) << std::string(8, '\0');
    std::ofstream(dir / "model" / "shard", std::ios::binary) << std::string(8, '\0');
    std::ofstream(dir / "vocab.json") << R"([["a", 0.0]])";
    auto manifest = [&](const std::string& shard) {
        std::ofstream(dir / "model" / "model.json") << R"({"weightsManifest": [{"paths": [")" << shard
                                                    << R"("], "weights": [{"name": "w", "shape": [2], "dtype": "float32"}]}]})";
    };
    const std::string cmd = exe.string() + " use " + (dir / "model" / "model.json").string() + " " +
                            (dir / "vocab.json").string() + " " + (dir / "out").string();
    for (const std::string& shard : {std::string("../secret"), (dir / "secret").string()})
    {
        manifest(shard);
        const auto [out, status] = run(cmd, true);
        CAPTURE(shard);
        CHECK(status == 1);
        CHECK_MESSAGE(has(out, "shard path '" + shard + "' must be a relative path inside the model's folder"), out);
    }
    // A manifest inside the folder but without the embedding: fails after the first output was
    // written, which must not be left behind.
    manifest("shard");
    const auto [out, status] = run(cmd, true);
    CHECK(status == 1);
    CHECK_MESSAGE(has(out, "module/Embeddings_en"), out);
    CHECK(fs::is_empty(dir / "out"));
    fs::remove_all(dir);
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
    CHECK(lines == 7 + 1 + 2 + 8 + 1 + 1 + 3 + 4);  // provenance, header, 2 SVD, 4 kinds x (plain, scaled), 1 TT,
                                                  // 1 ternary, fp16/int8/int4, 4 noise levels
    std::ifstream in(dir / "r.html");
    const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(html.find("<script") == std::string::npos);  // self-contained, no JavaScript
    CHECK(html.find("src=\"http") == std::string::npos);
    for (const char* id : {"id=\"error\"", "id=\"spectrum\"", "id=\"cosine\"", "id=\"recall\"", "id=\"pairs\""})
        CHECK_MESSAGE(html.find(id) != std::string::npos, "plot " << id << " missing");
    CHECK(html.find("data-points=\"0\"") == std::string::npos);  // every series has points
    for (const char* part : {"class=\"frontier\"", "class=\"reference\"", "class=\"label\"", "bits per weight",
                             "-scaled&quot; variants", "input_fnv1a64", "git_commit", "#E69F00"})
        CHECK_MESSAGE(html.find(part) != std::string::npos, part << " missing from the report");
    // Headless Chromium render: the screenshot of the report must be far from blank.
    const auto [which, none] = run("command -v chromium");
    if (none != 0)
    {
        MESSAGE("skipped render check: chromium not installed (Debian package `chromium`)");
        tessera_test::record_skip("render check: chromium not installed (scripts/bootstrap.sh --render)");
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
    // Every sampled statistic over --seeds draws (default 5) with its 95% interval, which holds
    // the first draw's value for the CV here (its spread is ~0.01 at 2000 pentachora).
    const auto& iv = j["intervals"];
    CHECK(iv["seeds"] == 5);
    for (const char* k : {"cosine_mean", "cosine_std", "distance_mean", "pentachoron_cv", "pentachoron_mean_volume",
                          "pentachoron_ratio_to_gaussian"})
    {
        CAPTURE(k);
        CHECK(iv[k]["count"] == 5);
        CHECK(iv[k]["ci95"][0].get<double>() < iv[k]["mean"].get<double>());
        CHECK(iv[k]["mean"].get<double>() < iv[k]["ci95"][1].get<double>());
        CHECK(iv[k]["min"].get<double>() < iv[k]["max"].get<double>());
    }
    CHECK(iv["pentachoron_cv"]["min"].get<double>() <= j["pentachoron"]["cv"].get<double>());
    CHECK(j["pentachoron"]["cv"].get<double>() <= iv["pentachoron_cv"]["max"].get<double>());
    // The seeds' "universal" band 0.20-0.23 is not where GloVe's top 10k lies (docs/experiments.md).
    CHECK(iv["pentachoron_cv"]["ci95"][0].get<double>() > 0.25);
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
    for (std::size_t i = 0; i < d.size(); ++i)
    {
        const auto& r = d[i];
        CHECK(r["p_at_1"].get<double>() <= r["p_at_5"].get<double>());
        CHECK(r["p_at_5"].get<double>() <= r["p_at_10"].get<double>());
        // GloVe 100 -> USE 256 (p < q): the polar factor is the least-squares R, ok. USE 256 ->
        // GloVe 100 (p > q): it is not, and procrustes says so (docs/align.md).
        CHECK(r["status"] == (i == 0 ? "ok" : "accuracy_limited"));
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

#include <cmath>
#include <functional>
#include <iterator>

#include <tessera/model/battery.hpp>

TEST_CASE("model_terrain: stories260K --json is run_battery's report, --html has the plots")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "model_terrain");
    const fs::path data = tessera_test::shared_data("stories260K/stories260K.bin");
    TESSERA_SKIP_IF_MISSING(data, "../shared/data/stories260K/stories260K.bin");
    namespace tmod = tessera::model;
    const tmod::checkpoint ck(data.string());
    tmod::battery_options options;
    std::vector<std::size_t> done, totals;
    options.progress = [&](std::size_t d, std::size_t t, const std::string&) {
        done.push_back(d);
        totals.push_back(t);
    };
    const auto rep = tmod::run_battery(ck, options);
    // the progress hook: one call per weight, per layer block and for the embedding, counting up
    REQUIRE(done.size() == rep.tensors.size() + rep.layers.size() + 1);
    for (std::size_t i = 0; i < done.size(); ++i)
        CHECK((done[i] == i + 1 && totals[i] == done.size()));

    const json j = run_json(exe, data.string());
    // the same report; numbers to 1e-9 relative (OpenBLAS's results depend on its thread count)
    std::size_t compared = 0;
    const std::function<void(const json&, const json&, const std::string&)> same =
        [&](const json& x, const json& y, const std::string& at) {
            REQUIRE_MESSAGE((x.type() == y.type() || (x.is_number() && y.is_number())), at);
            if (x.is_object() || x.is_array())
            {
                REQUIRE_MESSAGE(x.size() == y.size(), at);
                for (auto it = x.begin(); it != x.end(); ++it)
                    same(*it, x.is_object() ? y.at(it.key()) : y.at(static_cast<std::size_t>(std::distance(x.begin(), it))),
                         at + "/" + (x.is_object() ? it.key() : std::to_string(std::distance(x.begin(), it))));
            }
            else if (x.is_number())
                CHECK_MESSAGE(std::abs(x.get<double>() - y.get<double>()) <= 1e-9 * std::max(1.0, std::abs(y.get<double>())), at);
            else
                CHECK_MESSAGE(x == y, at);
            ++compared;
        };
    same(j, tmod::to_json(rep), "");
    CHECK(compared > 1000);  // 1774 values on stories260K
    REQUIRE(j["tensors"].size() == 36);  // 5 layers x 7 weights + token_embedding
    CHECK(j["layers"].size() == 5);
    CHECK(j["embedding"]["tie"]["tied"] == true);
    for (const auto& t : j["tensors"])
    {
        const double sr = t["stable_rank"].get<double>();
        const auto m = std::min(t["shape"][0].get<double>(), t["shape"][1].get<double>());
        CHECK_MESSAGE((std::isfinite(sr) && sr >= 1.0 && sr <= m), t["name"] << " stable rank " << sr);
    }

    const fs::path dir = temp_dir("model_terrain");
    const auto [text, status] = run(exe.string() + " " + data.string() + " --html " + (dir / "r.html").string());
    REQUIRE(status == 0);
    CHECK(text.find("output head: tied to the embedding") != std::string::npos);
    std::ifstream in(dir / "r.html");
    const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const char* id : {"spectra_attn_q", "stable_rank", "sparsity", "qk_0", "qk_symmetry", "importance", "cross_ffn_down"})
        CHECK_MESSAGE(html.find(std::string("id=\"") + id + "\"") != std::string::npos, "no plot " << id);
    CHECK(run(exe.string() + " --bogus").second == 2);
    const auto [err, missing] = run(exe.string() + " " + (dir / "absent.bin").string(), true);
    CHECK(missing == 1);
    CHECK(err.find((dir / "absent.bin").string()) != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("compression_sweep: provenance, full-precision unquoted CSV, baselines and noise beside the methods")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "compression_sweep");
    TESSERA_SKIP_IF_MISSING(fs::exists(bundled()) ? bundled() : fs::path(), "examples/data/glove100d_top10k.npy");
    const fs::path dir = temp_dir("sweep_provenance");
    const auto [out, status] = run(exe.string() + " --json --ranks 10 --k 25 --bonds 4 --groups 64 --queries 100 " +
                                   "--noise 0.05,0.2 --seed 3 --csv " + (dir / "r.csv").string());
    REQUIRE(status == 0);
    const json j = json::parse(out);
    const auto& p = j["provenance"];
    CHECK(p["seed"] == "3");
    CHECK(p["tessera_version"] == tessera::version_string);
    CHECK(p["input"] == bundled().string());
    CHECK(has(p["command"].get<std::string>(), "--noise 0.05,0.2 --seed 3"));
    CHECK(p["date_utc"].get<std::string>().size() == 20);  // 2026-12-04T03:15:00Z
    // The input checksum: FNV-1a 64 of the file's bytes, recomputed here.
    std::ifstream in(bundled(), std::ios::binary);
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (std::istreambuf_iterator<char> it(in), end; it != end; ++it)
        h = (h ^ static_cast<unsigned char>(*it)) * 0x100000001b3ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    CHECK(p["input_fnv1a64"] == hex);
    // CSV: '# key: value' provenance lines, then the header, then unquoted numbers that read back
    // exactly as the JSON's doubles (max_digits10); only a text field holding a comma is quoted.
    std::ifstream csv(dir / "r.csv");
    std::string line;
    std::vector<std::string> comments, data;
    while (std::getline(csv, line))
        (line.rfind("# ", 0) == 0 ? comments : data).push_back(line);
    REQUIRE(comments.size() == p.size());
    for (const auto& [key, value] : p.items())
        CHECK_MESSAGE(std::find(comments.begin(), comments.end(), "# " + key + ": " + value.get<std::string>()) !=
                          comments.end(),
                      key);
    REQUIRE(data.size() == 1 + j["results"].size());
    CHECK(data[0] == "method,param,bytes,bits_per_weight,ratio,rel_error,row_cos_mean,row_cos_p05,recall@10,"
                     "pair_spearman,recall@10_low,recall@10_high,pair_spearman_low,pair_spearman_high,status");
    for (std::size_t i = 1; i < data.size(); ++i)
    {
        CAPTURE(data[i]);
        const auto& r = j["results"][i - 1];
        const std::string& l = data[i];
        const bool quoted = l.find(",\"") != std::string::npos;
        CHECK(quoted == has(r["param"].get<std::string>(), ","));
        // Fields after the (possibly quoted) param: bytes, bits, ratio, rel_error, ...
        const std::size_t after = quoted ? l.find("\",", l.find(",\"") + 2) + 2 : l.find(',', l.find(',') + 1) + 1;
        std::vector<std::string> f;
        std::stringstream ss(l.substr(after));
        for (std::string x; std::getline(ss, x, ',');)
            f.push_back(x);
        REQUIRE(f.size() == 13);
        CHECK(std::stoull(f[0]) == r["bytes"].get<std::uint64_t>());
        CHECK(std::strtod(f[3].c_str(), nullptr) == r["rel_error"].get<double>());  // exact round trip
        CHECK(std::strtod(f[4].c_str(), nullptr) == r["row_cos_mean"].get<double>());
        // recall@10 is the mean of 3 draws (the default --seeds 3) inside its 95% interval.
        const auto& ri = r["recall_at_10_interval"];
        CHECK(ri["count"] == 3);
        CHECK(std::strtod(f[6].c_str(), nullptr) == r["recall_at_10"].get<double>());
        CHECK(std::strtod(f[8].c_str(), nullptr) == ri["ci95"][0].get<double>());
        CHECK(std::strtod(f[9].c_str(), nullptr) == ri["ci95"][1].get<double>());
        CHECK(ri["ci95"][0].get<double>() <= r["recall_at_10"].get<double>());
        CHECK(r["recall_at_10"].get<double>() <= ri["ci95"][1].get<double>());
        CHECK(std::strtod(f[11].c_str(), nullptr) == r["pair_spearman_interval"]["ci95"][1].get<double>());
        CHECK(f[12] == r["status"].get<std::string>());
    }
    const auto& res = j["results"];
    const json* fp16 = find(res, "fp16", "binary16");
    const json* int8 = find(res, "int8-row", "absmax per row");
    const json* int4 = find(res, "int4-q4_0", "group=32");
    const json* n05 = find(res, "noise", "s=0.05");
    const json* n20 = find(res, "noise", "s=0.2");
    REQUIRE((fp16 && int8 && int4 && n05 && n20));
    CHECK((*fp16)["bits_per_weight"] == 16.0);
    CHECK((*int8)["bits_per_weight"].get<double>() == doctest::Approx(8.0 + 32.0 / 100));
    CHECK((*int4)["bits_per_weight"].get<double>() == doctest::Approx(8.0 * (50 + 2 * 4) / 100));  // 4 groups per row
    for (const json* b : {fp16, int8, int4})
        CHECK((*b)["status"] == "ok");
    CHECK((*fp16)["rel_error"].get<double>() < (*int8)["rel_error"].get<double>());
    CHECK((*int8)["rel_error"].get<double>() < (*int4)["rel_error"].get<double>());
    // Noise W + s std(W) N: relative error ~ s (GloVe's entries are close to zero mean).
    CHECK((*n05)["rel_error"].get<double>() == doctest::Approx(0.05).epsilon(0.02));
    CHECK((*n20)["rel_error"].get<double>() == doctest::Approx(0.2).epsilon(0.02));
    CHECK((*n20)["bits_per_weight"] == 32.0);
    fs::remove_all(dir);
}

TEST_CASE("word_similarity: the 13 shared benchmarks, WS-353 as scipy, SentencePiece markers detected")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "word_similarity");
    const fs::path sets = tessera_test::shared_data("word-sim");
    TESSERA_SKIP_IF_MISSING(sets, "../shared/data/word-sim");
    const json j = run_json(exe, "--benchmarks " + sets.string());
    CHECK(j["markers"] == "none");
    REQUIRE(j["results"].size() == 13);
    const auto ref = json::parse(std::ifstream(tessera_test::fixture("compress/word_similarity_spearman.json")));
    bool seen = false;
    for (const auto& r : j["results"])
    {
        CHECK(r["covered"].get<double>() / r["total"].get<double>() == doctest::Approx(r["coverage"].get<double>()));
        if (r["benchmark"] == "EN-WS-353-ALL")
        {
            seen = true;
            CHECK(r["covered"] == ref["covered"]);
            CHECK(r["spearman"].get<double>() == doctest::Approx(ref["spearman"].get<double>()).epsilon(1e-12));
        }
    }
    CHECK(seen);
    const auto [bad, code] = run(exe.string() + " --markers latin", true);
    CHECK(code == 2);
    CHECK(has(bad, "word_similarity: --markers expects auto, none, sentencepiece or gpt2, got 'latin'"));
    const auto [missing, code1] = run(exe.string() + " --benchmarks /nonexistent/ws", true);
    CHECK(code1 == 1);
    CHECK(has(missing, "cannot read /nonexistent/ws"));
    // USE-lite's SentencePiece vocabulary: "\u2581" detected, and coverage only with it.
    const fs::path use = tessera_test::fetched_data("use_lite_embeddings.npy");
    const fs::path vocab = tessera_test::fetched_data("use_lite.vocab");
    TESSERA_SKIP_IF_MISSING(use, "fetched USE-lite embeddings (scripts/fetch_data.sh)");
    TESSERA_SKIP_IF_MISSING(vocab, "fetched USE-lite vocabulary");
    const std::string args = "--vectors " + use.string() + " --words " + vocab.string() + " --benchmarks " + sets.string();
    const json marked = run_json(exe, args);
    const json bare = run_json(exe, args + " --markers none");
    CHECK(marked["markers"] == "sentencepiece");
    for (std::size_t i = 0; i < 13; ++i)
        CHECK(marked["results"][i]["covered"].get<int>() >= bare["results"][i]["covered"].get<int>());
    const json* ws = nullptr;
    for (const auto& r : marked["results"])
        if (r["benchmark"] == "EN-WS-353-ALL")
            ws = &r;
    REQUIRE(ws != nullptr);
    CHECK((*ws)["coverage"].get<double>() > 0.5);
}

TEST_CASE("wordnet_probe: bundled GloVe keeps WordNet's structure; no nouns is degenerate; a bad --wordnet fails")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "wordnet_probe");
    TESSERA_SKIP_IF_MISSING(fs::exists(bundled()) ? bundled() : fs::path(), "examples/data/glove100d_top10k.npy");
    const fs::path wn = tessera_test::wordnet_dir();
    TESSERA_SKIP_IF_MISSING(wn, "WordNet 3.0 (/usr/share/wordnet from Debian wordnet-base; scripts/bootstrap.sh)");
    const std::string common = "--wordnet " + wn.string() + " --pairs 5000 --category-pairs 100 --chain-words 800 ";
    const json j = run_json(exe, common);
    CHECK(j["status"] == "ok");
    CHECK(j["rows"] == 10000);
    CHECK(j["in_wordnet"] == 6824);  // the top 10k GloVe words with a WordNet 3.0 noun sense (nltk morphy)
    CHECK(j["pairs"] == 5000);
    CHECK(j["spearman"].get<double>() > 0.15);  // 0.237 at 20000 pairs (docs/experiments.md)
    const auto& b = j["bands"];
    REQUIRE(b.size() == 6);
    CHECK(b[2]["cosine"]["mean"].get<double>() > b[5]["cosine"]["mean"].get<double>());  // d = 2 above 9+
    CHECK(b[3]["cosine"]["mean"].get<double>() > b[4]["cosine"]["mean"].get<double>());
    CHECK(b[4]["cosine"]["mean"].get<double>() > b[5]["cosine"]["mean"].get<double>());
    std::size_t counted = 0;
    for (const auto& x : b)
        counted += x["cosine"]["count"].get<std::size_t>();
    CHECK(counted == 5000);
    const auto& c = j["chain"];
    REQUIRE(c.size() == 6);
    CHECK(c[0]["cosine"]["mean"].get<double>() > c[5]["cosine"]["mean"].get<double>());  // decay along the chain
    for (const auto& x : j["categories"])
        CHECK(x["lift"].get<double>() > 1.0);  // within-category pairs are closer than random ones
    CHECK(j["provenance"]["seed"] == "18");

    const json none = run_json(exe, common + "--top 3");  // "the", ",", ".": no noun
    CHECK(none["status"] == "degenerate");
    CHECK(none["pairs"] == 0);
    CHECK(none["spearman"].is_null());

    const auto [msg, code] = run(exe.string() + " --wordnet /nonexistent/wordnet", true);
    CHECK(code == 1);
    CHECK_MESSAGE(has(msg, "/nonexistent/wordnet/data.noun: byte 0: cannot open"), msg);
}

TEST_CASE("streaming_pca: a sharded synthetic matrix, fitted within the budget, explains its planted variance")
{
    TESSERA_REQUIRE_EXAMPLE(exe, "streaming_pca");
    const fs::path dir = temp_dir("streaming_pca");
    // 20 MB in 4 shards of 5 MB, 64 columns, 4 planted directions, a 2 MB budget
    const auto [out, status] = run(exe.string() + " --gb 0.02 --shard-gb 0.005 --cols 64 --rank 4 --planted 4 --budget-mb 2 --dir " +
                                   (dir / "acts").string(), true);
    REQUIRE_MESSAGE(status == 0, out);
    CHECK(has(out, "[78125, 64] float32, 0.02 GB in 4 shards"));
    CHECK(has(out, "status          ok"));
    double explained = 0, planted = 0, held = 0;
    const auto at = out.find("explained       ");
    REQUIRE(at != std::string::npos);
    std::sscanf(out.c_str() + at, "explained       %lf of the variance by 4 components (planted: %lf", &explained, &planted);
    CHECK(explained == doctest::Approx(planted).epsilon(0.01));
    const auto mem = out.find("held ");
    REQUIRE(mem != std::string::npos);
    std::sscanf(out.c_str() + mem, "held %lf MB", &held);
    CHECK(held <= 2.0);
    CHECK_FALSE(fs::exists(dir / "acts"));  // removed without --keep
    // bad input: exit 2 naming the flag, or 1 naming the folder
    const auto [m1, c1] = run(exe.string() + " --method svd --dir " + (dir / "x").string(), true);
    CHECK(c1 == 2);
    CHECK(has(m1, "--method expects gram or randomized"));
    const auto [m2, c2] = run(exe.string() + " --cols 8 --rank 9 --dir " + (dir / "x").string(), true);
    CHECK(c2 == 2);
    CHECK(has(m2, "--rank 9 exceeds --cols 8"));
    fs::create_directories(dir / "empty");
    const auto [m3, c3] = run(exe.string() + " --reuse --dir " + (dir / "empty").string(), true);
    CHECK(c3 == 1);
    CHECK(has(m3, "has no .npy file"));
    const auto [m4, c4] = run(exe.string() + " --gb 0.01 --budget-mb 1 --cols 65536 --rank 2 --dir " + (dir / "x").string(), true);
    CHECK(c4 == 1);
    CHECK(has(m4, "memory_budget="));
    fs::remove_all(dir);
}
