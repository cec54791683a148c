// compress/export*.hpp read by the reference readers: tests/compress/check_export.py parses the
// safetensors file with plain numpy + json and the GGUF files with llama.cpp's gguf-py, and
// compares every object with tessera's reconstruct() written beside it as .npy. Skipped (exit 77)
// without python3 + numpy; the GGUF half needs TESSERA_GGML_SRC (scripts/fetch_ggml.sh's clone).
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <sys/wait.h>

#include <tessera/compress/export.hpp>
#include <tessera/compress/export_gguf.hpp>
#include <tessera/core/half.hpp>
#include <tessera/core/random.hpp>
#include <tessera/io/npy.hpp>
#include <tessera/spectral/truncated_svd.hpp>
#include <tessera/ternary/quantize.hpp>

#include "test_support.hpp"

namespace cp = tessera::compress;
namespace tn = tessera::ternary;

TEST_CASE("compress export: numpy (safetensors) and gguf-py (TQ1_0 / TQ2_0) read what tessera wrote")
{
    namespace io = tessera::io;
    const auto dir = tessera_test::fs::temp_directory_path() / "tessera_export_readers";
    tessera_test::fs::create_directories(dir);
    auto at = [&](const std::string& f) { return (dir / f).string(); };

    const auto A = tessera::random_normal<float>(70, 45, 31);
    const tessera::spectral::low_rank<float> lr(tessera::spectral::truncated_svd(A, 9));
    const auto svd = tessera::spectral::truncated_svd(tessera::random_normal<double>(40, 30, 32), 7);
    const auto ttm = tessera::tt::to_tt_matrix(tessera::random_normal<double>(48, 60, 33), {4, 3, 4}, {5, 3, 4},
                                               {/*max_rank=*/5, /*rel_eps=*/0.0});
    const auto q = tn::quantize_absmean(tessera::random_normal<float>(7, 1100, 34), {/*group_size=*/96});
    const auto p2 = tn::pack_2bit(q), p3 = tn::pack_base3(q, tn::scale_storage::f16);
    cp::save_compressed(at("export.safetensors"), {{"lr", lr}, {"svd", svd}, {"tt", ttm}, {"p2", p2}, {"p3", p3}});
    io::write_npy(at("lr.npy"), lr.reconstruct());
    io::write_npy(at("svd.npy"), tessera::spectral::low_rank<double>(svd).reconstruct());
    io::write_npy(at("tt.npy"), ttm.reconstruct());
    io::write_npy(at("p2.npy"), q.reconstruct());
    xt::xtensor<float, 2> s16 = q.scales();  // p3 keeps fp16 scales
    for (auto& v : s16)
        v = tessera::half_to_float(tessera::float_to_half(v));
    io::write_npy(at("p3.npy"), tn::ternary_matrix<float>(q.codes(), s16, 96, q.granularity()).reconstruct());

    const auto t = tn::quantize_absmean(tessera::random_normal<double>(6, 768, 35), {/*group_size=*/256});
    cp::save_ternary_gguf(at("tq1_0.gguf"), {{"w", t}}, cp::tq_format::tq1_0);
    cp::save_ternary_gguf(at("tq2_0.gguf"), {{"w", t}}, cp::tq_format::tq2_0);
    io::write_npy(at("tq.npy"), t.reconstruct());
    xt::xtensor<float, 2> d = xt::xtensor<float, 2>::from_shape(t.codes().shape());  // ggml: fp16(s) * q in float
    for (std::size_t i = 0; i < d.shape(0); ++i)
        for (std::size_t k = 0; k < d.shape(1); ++k)
            d(i, k) = tessera::half_to_float(tessera::float_to_half(t.scales()(i, k / 256))) * float(t.codes()(i, k));
    io::write_npy(at("tq_ggml.npy"), d);

    const char* py = std::getenv("PYTHON");
    const std::string cmd = std::string(py && *py ? py : "/usr/bin/python3") + " " + TESSERA_SOURCE_DIR +
                            "/tests/compress/check_export.py " + dir.string();
    const int rc = std::system(cmd.c_str());
    const int status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    if (status == 77)
    {
        MESSAGE("skipped: the reference readers (numpy or gguf-py) are not present");
        tessera_test::record_skip("numpy or gguf-py (TESSERA_GGML_SRC)");
        return;
    }
    CHECK_MESSAGE(status == 0, cmd, " exited with ", status);
}
