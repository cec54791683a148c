// Quantize a real transformer FFN (layer 0 of Karpathy's stories260K, SwiGLU: W2 (silu(W1 x) * W3 x))
// to ternary weights with int8 activations, run it with the packed kernels, and compare with fp32.
// Usage: ternary_layer [--export PATH] [path/to/stories260K.bin]   (default ../shared/data/stories260K/stories260K.bin)
// --export PATH: the three packed matrices as safetensors (compress/export.hpp), reloaded and checked.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include <tessera/compress/export.hpp>

#include <tessera/core/blas.hpp>
#include <tessera/core/validate.hpp>
#include <tessera/model/llama2_checkpoint.hpp>
#include <tessera/ternary.hpp>

#include "cli.hpp"

namespace tt = tessera::ternary;

// Y [tokens, out] = X [tokens, in] W^T in fp32 (BLAS).
static xt::xtensor<float, 2> dense(const xt::xtensor<float, 2>& X, const xt::xtensor<float, 2>& W)
{
    xt::xtensor<float, 2> Y = xt::zeros<float>({X.shape(0), W.shape(0)});
    tessera::blas::gemm(tessera::blas::op::none, tessera::blas::op::transpose, 1.0f, X, W, 0.0f, Y);
    return Y;
}

// The same product with ternary weights (packed 2-bit) and int8 activations (per block of 64).
static xt::xtensor<float, 2> ternary(const xt::xtensor<float, 2>& X, const tt::packed_ternary& P)
{
    return tt::gemm(P, tt::quantize_activations_int8(X));
}

static xt::xtensor<float, 2> swiglu(const xt::xtensor<float, 2>& a, const xt::xtensor<float, 2>& b)
{
    xt::xtensor<float, 2> h = a;
    for (std::size_t i = 0; i < h.size(); ++i)
        h.data()[i] = a.data()[i] / (1.0f + std::exp(-a.data()[i])) * b.data()[i];
    return h;
}

int main(int argc, char** argv)
{
    return example::cli::run("ternary_layer", [&] {
        std::string path = (example::shared_dir() / "stories260K/stories260K.bin").string();
        example::cli cli("ternary_layer", "Layer 0's FFN of a llama2.c model through ternary weights and int8 "
                                          "activations, against fp32.");
        std::string export_path;
        cli.positional("MODEL", path, "llama2.c checkpoint (legacy v0 format)");
        cli.add("--export", export_path, "write the packed 2-bit W1, W3, W2 to this safetensors file", "PATH");
        if (!cli.parse(argc, argv))
            return 0;
        // The reader checks every header field against the file size before it allocates.
        const auto model = tessera::model::read_llama2_checkpoint<float>(path);
        const std::size_t dim = model.config.dim, vocab = model.config.vocab_size;
        const auto& layer = model.layers.at(0);
        tessera::require_finite(model.token_embedding, path.c_str(), "token_embedding");
        tessera::require_finite(layer.rms_ffn, path.c_str(), "layers.0.rms_ffn");
        for (const auto& [name, W] : {std::pair{"layers.0.w1", &layer.w1}, std::pair{"layers.0.w2", &layer.w2},
                                      std::pair{"layers.0.w3", &layer.w3}})
            tessera::require_finite(*W, path.c_str(), name);

        // Inputs: every token embedding through layer 0's FFN RMSNorm (real activations).
        xt::xtensor<float, 2> X = model.token_embedding;
        for (std::size_t t = 0; t < vocab; ++t)
        {
            double ss = 0;
            for (std::size_t k = 0; k < dim; ++k)
                ss += double(X(t, k)) * X(t, k);
            const auto inv = static_cast<float>(1.0 / std::sqrt(ss / double(dim) + 1e-5));
            for (std::size_t k = 0; k < dim; ++k)
                X(t, k) *= inv * layer.rms_ffn(k);
        }
        const auto &W1 = layer.w1, &W3 = layer.w3, &W2 = layer.w2;

        tt::quantize_options opts;
        opts.group_size = 64;
        std::printf("%-4s %-10s %10s %8s %10s %9s\n", "W", "shape", "rel.err", "zeros", "row cos", "ratio");
        for (const auto& [name, W] : {std::pair{"W1", &W1}, std::pair{"W3", &W3}, std::pair{"W2", &W2}})
        {
            const auto q = tt::quantize_absmean(*W, opts);
            const auto r = q.error_report(*W);
            std::printf("%-4s %4zux%-5zu %10.4f %8.3f %10.4f %8.1fx\n", name, W->shape(0), W->shape(1),
                        r.relative_frobenius, r.zero_fraction, r.mean_row_cosine, q.compression_ratio());
        }
        const auto P1 = tt::quantize_pack_2bit(W1, opts), P3 = tt::quantize_pack_2bit(W3, opts);
        const auto P2 = tt::quantize_pack_2bit(W2, opts);

        const auto Y = dense(swiglu(dense(X, W1), dense(X, W3)), W2);         // fp32 FFN
        const auto Yq = ternary(swiglu(ternary(X, P1), ternary(X, P3)), P2);  // ternary weights, int8 activations
        const auto D1 = tt::quantize_absmean(W1, opts).dequantize(), D3 = tt::quantize_absmean(W3, opts).dequantize();
        const auto D2 = tt::quantize_absmean(W2, opts).dequantize();
        const auto Yd = dense(swiglu(dense(X, D1), dense(X, D3)), D2);        // ternary weights, fp32 activations
        auto compare = [&](const char* what, const xt::xtensor<float, 2>& A, const xt::xtensor<float, 2>& B) {
            double num = 0, den = 0, cos_sum = 0;
            std::size_t counted = 0;  // tokens with two non-zero outputs (a cosine exists)
            for (std::size_t t = 0; t < vocab; ++t)
            {
                double d = 0, a = 0, b = 0;
                for (std::size_t k = 0; k < dim; ++k)
                {
                    num += (double(A(t, k)) - B(t, k)) * (double(A(t, k)) - B(t, k));
                    den += double(A(t, k)) * A(t, k);
                    d += double(A(t, k)) * B(t, k);
                    a += double(A(t, k)) * A(t, k);
                    b += double(B(t, k)) * B(t, k);
                }
                if (a * b > 0)
                    cos_sum += d / std::sqrt(a * b), ++counted;
            }
            if (den > 0 && counted > 0)
                std::printf("%-44s relative error %.4f, mean cosine %.4f\n", what, std::sqrt(num / den),
                            cos_sum / double(counted));
            else  // degenerate weights (all zero): no relative error, say so instead of printing nan
                std::printf("%-44s relative error n/a, mean cosine n/a (all-zero outputs)\n", what);
        };
        std::printf("FFN outputs over %zu tokens:\n", vocab);
        compare("  ternary W + int8 x   vs fp32", Y, Yq);
        compare("  ternary W + fp32 x   vs fp32", Y, Yd);
        compare("  ternary W + int8 x   vs ternary W + fp32 x", Yd, Yq);
        std::printf("weights: fp32 %zu bytes -> ternary %zu bytes\n", (W1.size() + W2.size() + W3.size()) * 4,
                    P1.storage_bytes() + P2.storage_bytes() + P3.storage_bytes());
        if (!export_path.empty())
        {
            // all or nothing: written as PATH.partial, reloaded and compared, then renamed
            example::output_file out(export_path);
            tessera::compress::save_compressed(out.temp(), {{"layers.0.w1", P1}, {"layers.0.w3", P3}, {"layers.0.w2", P2}},
                                               {{"source", path}, {"quantizer", "quantize_absmean, group_size 64"}});
            const tessera::compress::compressed_file back(out.temp());
            for (const auto& [name, P] : {std::pair{"layers.0.w1", &P1}, std::pair{"layers.0.w3", &P3}, std::pair{"layers.0.w2", &P2}})
            {
                const auto Q = back.load_packed_ternary(name);
                if (Q.bytes.size() != P->bytes.size() || !std::equal(Q.bytes.data(), Q.bytes.data() + Q.bytes.size(), P->bytes.data()) ||
                    Q.scales != P->scales)
                    throw std::runtime_error(export_path + ": the reloaded " + name + " differs from the saved one");
            }
            out.commit();
            std::printf("exported to %s (%ju bytes; reloaded bit for bit)\n", export_path.c_str(),
                        static_cast<std::uintmax_t>(std::filesystem::file_size(export_path)));
        }
        // the same codes and scales in the base-3 layout (1.6 bits per weight): the same outputs, bit for bit
        const auto B1 = tt::pack_base3(tt::quantize_absmean(W1, opts)), B3 = tt::pack_base3(tt::quantize_absmean(W3, opts));
        const auto B2 = tt::pack_base3(tt::quantize_absmean(W2, opts));
        const auto Yb = ternary(swiglu(ternary(X, B1), ternary(X, B3)), B2);
        std::printf("base-3 layout: %zu bytes, outputs identical to the 2-bit layout: %s\n",
                    B1.storage_bytes() + B2.storage_bytes() + B3.storage_bytes(), Yb == Yq ? "yes" : "NO");
        // the scales stored as binary16 (as ggml's TQ formats store theirs): 2 instead of 4 bytes each
        const auto H1 = tt::quantize_pack_2bit(W1, opts, tt::scale_storage::f16);
        const auto H3 = tt::quantize_pack_2bit(W3, opts, tt::scale_storage::f16);
        const auto H2 = tt::quantize_pack_2bit(W2, opts, tt::scale_storage::f16);
        const auto Yh = ternary(swiglu(ternary(X, H1), ternary(X, H3)), H2);
        std::printf("f16 scales: %zu bytes\n", H1.storage_bytes() + H2.storage_bytes() + H3.storage_bytes());
        compare("  f16 scales           vs f32 scales", Yq, Yh);
        return Yb == Yq ? 0 : 1;
    });
}
