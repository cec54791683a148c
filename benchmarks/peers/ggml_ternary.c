// Peer of bench_ternary: ggml's own TQ2_0 / TQ1_0 CPU kernels (llama.cpp's ggml, built from the
// source that the npm package node-llama-cpp ships; scripts/fetch_ggml.sh builds this file).
// The same workloads as bench_ternary, measured in the same `make bench` run:
//   gemv    W [N, K] (TQ2_0 or TQ1_0) times one fp32 activation column: ggml_mul_mat, which
//           quantizes the activation to Q8_K and calls the vec_dot kernel per row (warm cache);
//   gemm    the same with `batch` activation columns;
//   quant   ggml_quantize_chunk of the fp32 weights (rows split across threads).
// The weights are the same uniform(-0.5, 0.5) distribution as bench_ternary's. Timings are
// medians of `reps` runs after a warm-up. Output: one JSON object per line.
// Usage: ggml_ternary [--quick]
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omp.h>

#include "ggml-cpu.h"
#include "ggml.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void* a, const void* b)
{
    const double x = *(const double*)a, y = *(const double*)b;
    return x < y ? -1 : x > y;
}

static double median(double* v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void fill_uniform(float* p, size_t n, uint64_t seed)
{
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
    for (size_t i = 0; i < n; ++i)
    {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        p[i] = (float)((double)(s >> 11) * 0x1.0p-53 - 0.5);
    }
}

// Median time of ggml_mul_mat(W, X) for W [N, K] of `type` and X [K, batch] fp32.
static double time_mul_mat(enum ggml_type type, const float* Wf, int N, int K, int batch, int threads, int reps)
{
    const size_t wbytes = ggml_row_size(type, K) * (size_t)N;
    struct ggml_init_params ip = {wbytes + (size_t)K * batch * 4 + (size_t)N * batch * 4 + 16 * 1024 * 1024, NULL, false};
    struct ggml_context* ctx = ggml_init(ip);
    struct ggml_tensor* W = ggml_new_tensor_2d(ctx, type, K, N);
    struct ggml_tensor* X = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, K, batch);
    ggml_quantize_chunk(type, Wf, W->data, 0, N, K, NULL);
    fill_uniform((float*)X->data, (size_t)K * batch, 7);
    struct ggml_tensor* Y = ggml_mul_mat(ctx, W, X);
    struct ggml_cgraph* gf = ggml_new_graph(ctx);
    ggml_build_forward_expand(gf, Y);
    struct ggml_cplan plan = ggml_graph_plan(gf, threads, NULL);
    uint8_t* work = plan.work_size ? malloc(plan.work_size) : NULL;
    plan.work_data = work;
    double* t = malloc(sizeof(double) * (size_t)reps);
    ggml_graph_compute(gf, &plan);  // warm-up
    for (int r = 0; r < reps; ++r)
    {
        const double t0 = now_ms();
        ggml_graph_compute(gf, &plan);
        t[r] = now_ms() - t0;
    }
    const double m = median(t, reps);
    free(t);
    free(work);
    ggml_free(ctx);
    return m;
}

// Median time of quantizing the fp32 weights to `type`, rows split evenly across threads.
static double time_quantize(enum ggml_type type, const float* Wf, int N, int K, int threads, int reps)
{
    const size_t row = ggml_row_size(type, K);
    uint8_t* out = malloc(row * (size_t)N);
    double* t = malloc(sizeof(double) * (size_t)reps);
    for (int r = -1; r < reps; ++r)
    {
        const double t0 = now_ms();
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int c = 0; c < threads; ++c)
        {
            const int r0 = (int)((long)N * c / threads), r1 = (int)((long)N * (c + 1) / threads);
            ggml_quantize_chunk(type, Wf + (size_t)r0 * K, out + (size_t)r0 * row, 0, r1 - r0, K, NULL);
        }
        if (r >= 0)
            t[r] = now_ms() - t0;
    }
    const double m = median(t, reps);
    free(t);
    free(out);
    return m;
}

int main(int argc, char** argv)
{
    const int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    const int reps = quick ? 5 : 25;
    static const int shapes[3][2] = {{4096, 4096}, {8192, 8192}, {2048, 8192}};
    ggml_cpu_init();
    for (int s = 0; s < 3; ++s)
    {
        const int N = shapes[s][0], K = shapes[s][1];
        if (quick && N == 8192 && K == 8192)
            continue;
        float* Wf = malloc(sizeof(float) * (size_t)N * K);
        fill_uniform(Wf, (size_t)N * K, (uint64_t)N * 31 + (uint64_t)K);
        for (int threads = 1; threads <= 2; ++threads)
        {
            const char* names[2] = {"tq2_0", "tq1_0"};
            const enum ggml_type types[2] = {GGML_TYPE_TQ2_0, GGML_TYPE_TQ1_0};
            for (int ti = 0; ti < 2; ++ti)
                printf("{\"op\": \"gemv\", \"type\": \"%s\", \"N\": %d, \"K\": %d, \"batch\": 1, \"threads\": %d, \"median_ms\": %.5f}\n",
                       names[ti], N, K, threads, time_mul_mat(types[ti], Wf, N, K, 1, threads, reps));
            const int batches[2] = {8, 128};
            for (int b = 0; b < 2; ++b)
                printf("{\"op\": \"gemm\", \"type\": \"tq2_0\", \"N\": %d, \"K\": %d, \"batch\": %d, \"threads\": %d, \"median_ms\": %.5f}\n",
                       N, K, batches[b], threads,
                       time_mul_mat(GGML_TYPE_TQ2_0, Wf, N, K, batches[b], threads, batches[b] == 128 ? (reps + 3) / 4 : reps));
            if (N == 8192 && K == 8192)
                printf("{\"op\": \"quantize\", \"type\": \"tq2_0\", \"N\": %d, \"K\": %d, \"batch\": 0, \"threads\": %d, \"median_ms\": %.5f}\n",
                       N, K, threads, time_quantize(GGML_TYPE_TQ2_0, Wf, N, K, threads, 5));
            fflush(stdout);
        }
        free(Wf);
    }
    return 0;
}
