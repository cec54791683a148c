// decode/encode: every dtype to float and double, big-endian byte swapping, unaligned sources.
#include <cstdint>
#include <cstring>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/io/dtype.hpp>

namespace io = tessera::io;

TEST_CASE_TEMPLATE("decode and encode every dtype, aligned or not, either byte order", T, float, double)
{
    const double values[] = {1.0, -2.5, 0.15625, 65504.0, -0.0, 3.0e-5};
    for (io::dtype t : {io::dtype::float16, io::dtype::bfloat16, io::dtype::float32, io::dtype::float64})
    {
        CAPTURE(io::to_string(t));
        const std::size_t isz = io::dtype_size(t);
        std::vector<T> src(std::begin(values), std::end(values));
        std::vector<unsigned char> le(6 * isz + 1), be(6 * isz + 1);
        io::encode(src.data(), t, le.data() + 1, 6);  // unaligned destination
        for (std::size_t i = 0; i < 6; ++i)
            for (std::size_t b = 0; b < isz; ++b)
                be[1 + i * isz + b] = le[1 + i * isz + (isz - 1 - b)];
        std::vector<T> a(6), b(6);
        io::decode(le.data() + 1, t, false, a.data(), 6);
        io::decode(be.data() + 1, t, true, b.data(), 6);
        CHECK(a == b);
        for (std::size_t i = 0; i < 6; ++i)
        {
            // every value above is exact in all four formats except 3e-5 (rounded) and 65504 in bfloat16
            if (i == 5 || (i == 3 && t == io::dtype::bfloat16))
                CHECK(static_cast<double>(a[i]) == doctest::Approx(values[i]).epsilon(t == io::dtype::bfloat16 ? 4e-3 : 1e-3));
            else
                CHECK(static_cast<double>(a[i]) == values[i]);
        }
        CHECK(std::signbit(a[4]));
    }
    CHECK(io::dtype_of<T>() == (sizeof(T) == 4 ? io::dtype::float32 : io::dtype::float64));
}
