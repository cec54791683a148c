#pragma once
/// \file errors.hpp
/// tessera's exception types and the helpers that build their messages.
///
/// Two kinds of failure (STYLE.md 5): misuse throws one of these exceptions with a message
/// that names the function, the parameter, what was expected and what was received;
/// numerical outcomes (rank deficiency, fallbacks, non-convergence) are reported in a
/// `status` member of the result instead (see status.hpp).

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace tessera
{
    /// Base of tessera's runtime failures that are not argument errors.
    class error : public std::runtime_error
    {
    public:
        using std::runtime_error::runtime_error;
    };

    /// A function received an argument that violates its documented preconditions.
    /// Message form: `"spectral::truncated_svd: rank=600 exceeds min(rows, cols)=512"`.
    class invalid_argument : public std::invalid_argument
    {
    public:
        using std::invalid_argument::invalid_argument;
    };

    /// A file could not be read or written. Carries the file name and the byte offset
    /// (or, for text formats, the 1-based line in `line()`; 0 when not applicable).
    class io_error : public error
    {
    public:
        io_error(std::string file, std::uint64_t offset, const std::string& what, std::uint64_t line = 0)
            : error(format(file, offset, what, line))
            , m_file(std::move(file))
            , m_offset(offset)
            , m_line(line)
        {
        }
        const std::string& file() const noexcept { return m_file; }
        std::uint64_t offset() const noexcept { return m_offset; }
        std::uint64_t line() const noexcept { return m_line; }

    private:
        static std::string format(const std::string& file, std::uint64_t offset, const std::string& what,
                                  std::uint64_t line)
        {
            std::ostringstream os;
            os << file << ": ";
            if (line != 0)
                os << "line " << line << ": ";
            else
                os << "byte " << offset << ": ";
            os << what;
            return os.str();
        }
        std::string m_file;
        std::uint64_t m_offset = 0;
        std::uint64_t m_line = 0;
    };

    /// A LAPACK routine reported an illegal argument (info < 0) or a failure that the
    /// calling function cannot turn into a status. Carries the routine name and `info`.
    class lapack_error : public error
    {
    public:
        lapack_error(std::string routine, long long info, const std::string& context = {})
            : error(format(routine, info, context))
            , m_routine(std::move(routine))
            , m_info(info)
        {
        }
        const std::string& routine() const noexcept { return m_routine; }
        long long info() const noexcept { return m_info; }

    private:
        static std::string format(const std::string& routine, long long info, const std::string& context)
        {
            std::ostringstream os;
            if (!context.empty())
                os << context << ": ";
            os << "LAPACK " << routine << " returned info=" << info;
            if (info < 0)
                os << " (argument " << -info << " had an illegal value)";
            return os.str();
        }
        std::string m_routine;
        long long m_info = 0;
    };

    namespace detail
    {
        /// Formats any range of integers as `[32128, 512]`.
        template <class Shape>
        auto shape_to_string(const Shape& shape) -> decltype(std::begin(shape), std::string())
        {
            std::ostringstream os;
            os << '[';
            bool first = true;
            for (const auto& v : shape)
            {
                if (!first)
                    os << ", ";
                os << v;
                first = false;
            }
            os << ']';
            return os.str();
        }

        /// Streams every argument into one string.
        template <class... Args>
        std::string concat(const Args&... args)
        {
            std::ostringstream os;
            (os << ... << args);
            return os.str();
        }

        /// Throws tessera::invalid_argument("<function>: <message parts...>") when `condition`
        /// is false. The message is built only on failure.
        template <class... Args>
        void require(bool condition, const char* function, const Args&... message)
        {
            if (!condition)
                throw invalid_argument(concat(function, ": ", message...));
        }
    }  // namespace detail

    /// Formats a shape (any range of integers) as `[32128, 512]` for error messages.
    using detail::shape_to_string;
    /// Concatenates streamable values into one string.
    using detail::concat;
    /// `require(cond, "module::fn", "rank=", r, " exceeds ...")`: throws tessera::invalid_argument
    /// with message `"module::fn: rank=... exceeds ..."` when `cond` is false.
    using detail::require;
}  // namespace tessera
