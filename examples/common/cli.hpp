#pragma once
// The one command-line and file helper of the example programs: options and positional arguments
// with --help and checked numeric values, where the data lives, printing text read from files
// safely, all-or-nothing output files, a progress bar on stderr, and main's error handling.
// Exit status of every example: 0 success (and --help), 2 bad command line, 1 any other error.
// Not part of the library API.
#include <cctype>
#include <charconv>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <unistd.h>

#ifndef TESSERA_EXAMPLES_DATA
#define TESSERA_EXAMPLES_DATA "examples/data"
#endif

namespace example
{
    /// Thrown for a bad command line; cli::run prints it and exits with status 2.
    struct usage_error : std::runtime_error
    {
        using std::runtime_error::runtime_error;
    };

    /// `s` with control characters (C0, DEL, C1) and bytes that are not UTF-8 written as \xHH, so
    /// text read from a file (words, tensor names, decoded tokens) cannot drive the terminal.
    inline std::string printable(const std::string& s)
    {
        std::string o;
        auto hex = [&o](unsigned char c) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            o += buf;
        };
        for (std::size_t i = 0; i < s.size();)
        {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c < 0x80)
            {
                if (c < 0x20 || c == 0x7f)
                    hex(c);
                else
                    o += char(c);
                ++i;
                continue;
            }
            const std::size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
            bool ok = len > 0 && i + len <= s.size() && !(c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0);
            for (std::size_t k = 1; ok && k < len; ++k)
                ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
            if (!ok)  // a stray byte or a C1 control (U+0080..U+009F, e.g. CSI)
            {
                hex(c);
                ++i;
                continue;
            }
            o.append(s, i, len);
            i += len;
        }
        return o;
    }

    /// The checkout's root (examples/data/../..), the fetched-data cache ($TESSERA_DATA_DIR, else
    /// <checkout>/data), the shared real data beside the checkout (../shared/data) and the
    /// bundled default matrix (the 10,000 most frequent GloVe 6B 100d words).
    inline std::filesystem::path checkout_dir() { return std::filesystem::path(TESSERA_EXAMPLES_DATA).parent_path().parent_path(); }
    inline std::filesystem::path fetched_dir()
    {
        const char* env = std::getenv("TESSERA_DATA_DIR");
        return env && *env ? std::filesystem::path(env) : checkout_dir() / "data";
    }
    inline std::filesystem::path shared_dir() { return checkout_dir().parent_path() / "shared" / "data"; }
    inline std::string default_embeddings() { return std::string(TESSERA_EXAMPLES_DATA) + "/glove100d_top10k.npy"; }

    /// An output file written all or nothing: write to temp(), then commit() renames it onto the
    /// final path; a file never committed (an error on the way) is removed.
    class output_file
    {
    public:
        explicit output_file(std::string path) : m_path(std::move(path)), m_temp(m_path + ".partial") {}
        output_file(const output_file&) = delete;
        output_file& operator=(const output_file&) = delete;
        output_file(output_file&& o) noexcept : m_path(std::move(o.m_path)), m_temp(std::move(o.m_temp)), m_done(o.m_done)
        {
            o.m_done = true;
        }
        ~output_file()
        {
            if (!m_done)
                std::remove(m_temp.c_str());
        }
        const std::string& temp() const { return m_temp; }
        const std::string& path() const { return m_path; }
        void commit()
        {
            if (std::rename(m_temp.c_str(), m_path.c_str()) != 0)
                throw std::runtime_error("cannot write " + m_path + ": " + std::strerror(errno));
            m_done = true;
        }

    private:
        std::string m_path, m_temp;
        bool m_done = false;
    };

    /// Writes `text` to `path` all or nothing; throws naming the file when it cannot.
    inline void write_text_file(const std::string& path, const std::string& text)
    {
        output_file f(path);
        std::FILE* fp = std::fopen(f.temp().c_str(), "wb");
        if (!fp)
            throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
        const bool wrote = std::fwrite(text.data(), 1, text.size(), fp) == text.size();
        const int err = errno;
        if (std::fclose(fp) != 0 || !wrote)
            throw std::runtime_error("cannot write " + path + ": " + std::strerror(wrote ? errno : err));
        f.commit();
    }

    /// Declarative command line: `cli.add("--rank", rank, "help")` for strings, integers, doubles,
    /// bools (flags) and comma-separated lists, `cli.positional(...)` for arguments without a
    /// flag. Numbers are checked against [lo, hi]; every malformed value is reported as
    /// `--flag expects <what>, got '<text>'`. `parse` handles --help and throws usage_error.
    class cli
    {
    public:
        cli(std::string program, std::string summary, std::string usage_tail = "")
            : m_program(std::move(program)), m_summary(std::move(summary)), m_usage_tail(std::move(usage_tail))
        {
        }

        void add(const std::string& name, bool& flag, const std::string& help)
        {
            m_opts.push_back({name, "", help, true, [&flag](const std::string&) { flag = true; }, flag ? "on" : ""});
        }
        void add(const std::string& name, std::string& value, const std::string& help, const std::string& metavar = "S")
        {
            m_opts.push_back({name, metavar, help, false, [&value](const std::string& s) { value = s; }, value});
        }
        template <class T>
        void add(const std::string& name, T& value, const std::string& help, const std::string& metavar = "N",
                 T lo = std::numeric_limits<T>::lowest(), T hi = std::numeric_limits<T>::max())
        {
            m_opts.push_back({name, metavar, help, false,
                              [&value, name, lo, hi](const std::string& s) { value = number<T>(name, s, lo, hi); },
                              to_text(value)});
        }
        template <class T>
        void add(const std::string& name, std::vector<T>& values, const std::string& help,
                 const std::string& metavar = "A,B,..", T lo = std::numeric_limits<T>::lowest(),
                 T hi = std::numeric_limits<T>::max())
        {
            std::string def;
            for (std::size_t i = 0; i < values.size(); ++i)
                def += (i ? "," : "") + to_text(values[i]);
            m_opts.push_back({name, metavar, help, false,
                              [&values, name, lo, hi](const std::string& s) { values = list<T>(name, s, lo, hi); }, def});
        }
        /// An argument without a flag, filled in order; `value` keeps its default when absent.
        void positional(const std::string& name, std::string& value, const std::string& help)
        {
            m_pos.push_back({name, name, help, false, [&value](const std::string& s) { value = s; }, value});
        }
        template <class T>
        void positional(const std::string& name, T& value, const std::string& help,
                        T lo = std::numeric_limits<T>::lowest(), T hi = std::numeric_limits<T>::max())
        {
            m_pos.push_back({name, name, help, false,
                             [&value, name, lo, hi](const std::string& s) { value = number<T>(name, s, lo, hi); },
                             to_text(value)});
        }
        /// Every remaining argument without a flag.
        void rest(const std::string& name, std::vector<std::string>& values, const std::string& help)
        {
            m_pos.push_back({name, name + "...", help, true, [&values](const std::string& s) { values.push_back(s); }, ""});
        }

        /// Parses argv; returns false when --help was printed (exit 0).
        bool parse(int argc, char** argv)
        {
            for (int i = 1; i < argc; ++i)
                if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0)
                {
                    print_help(std::cout);
                    return false;
                }
            std::size_t next_pos = 0;
            for (int i = 1; i < argc; ++i)
            {
                std::string arg = argv[i], value;
                if (arg.size() < 2 || arg[0] != '-' || (arg[1] != '-' && !std::isalpha(static_cast<unsigned char>(arg[1]))))
                {
                    if (next_pos >= m_pos.size())
                        throw usage_error("unexpected argument '" + printable(arg) + "'");
                    m_pos[next_pos].set(arg);
                    if (!m_pos[next_pos].flag)  // `flag` marks the catch-all rest()
                        ++next_pos;
                    continue;
                }
                const auto eq = arg.find('=');
                const bool inline_value = eq != std::string::npos;
                if (inline_value)
                {
                    value = arg.substr(eq + 1);
                    arg = arg.substr(0, eq);
                }
                const option* o = nullptr;
                for (const auto& c : m_opts)
                    if (c.name == arg)
                        o = &c;
                if (!o)
                    throw usage_error("unknown option '" + printable(arg) + "'");
                if (o->flag && inline_value)
                    throw usage_error(arg + " takes no value");
                if (!o->flag && !inline_value)
                {
                    if (i + 1 >= argc)
                        throw usage_error(arg + " expects a value (" + o->metavar + ")");
                    value = argv[++i];
                }
                o->set(value);
            }
            return true;
        }

        void print_help(std::ostream& os) const
        {
            os << "usage: " << m_program << " [options]";
            for (const auto& p : m_pos)
                os << " [" << p.metavar << "]";
            os << m_usage_tail << "\n\n" << m_summary << "\n";
            if (!m_pos.empty())
                os << "\narguments:\n";
            for (const auto& p : m_pos)
                line(os, "  " + p.metavar, p.help, p.def);
            os << "\noptions:\n";
            for (const auto& o : m_opts)
                line(os, "  " + o.name + (o.metavar.empty() ? "" : " " + o.metavar), o.help, o.flag ? "" : o.def);
            os << "  --help                  this message\n";
        }

        /// Runs `body` and turns exceptions into a message and exit status (2: usage, 1: error).
        template <class F>
        static int run(const std::string& program, F&& body)
        {
            try
            {
                return body();
            }
            catch (const usage_error& e)
            {
                std::cerr << program << ": " << e.what() << "\n(see " << program << " --help)\n";
                return 2;
            }
            catch (const std::bad_alloc&)
            {
                std::cerr << program << ": out of memory (are the sizes on the command line or in the file sane?)\n";
                return 1;
            }
            catch (const std::exception& e)
            {
                std::cerr << program << ": " << e.what() << "\n";
                return 1;
            }
        }

        /// `text` as a T in [lo, hi], or usage_error "`name` expects <what>, got '<text>'".
        template <class T>
        static T number(const std::string& name, const std::string& text, T lo = std::numeric_limits<T>::lowest(),
                        T hi = std::numeric_limits<T>::max())
        {
            static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, "example::cli: numeric option");
            T v{};
            bool ok = false;
            if constexpr (std::is_integral_v<T>)
            {
                const char* end = text.data() + text.size();
                const auto r = std::from_chars(text.data(), end, v);
                ok = !text.empty() && r.ec == std::errc() && r.ptr == end;
            }
            else
            {
                char* end = nullptr;
                errno = 0;
                const double d = std::strtod(text.c_str(), &end);
                ok = !text.empty() && end == text.c_str() + text.size() && errno == 0 && std::isfinite(d);
                v = static_cast<T>(d);
            }
            if (!ok || v < lo || v > hi)
                throw usage_error(name + " expects " + what<T>(lo, hi) + ", got '" + printable(text) + "'");
            return v;
        }

        /// Comma-separated numbers, each checked as by number().
        template <class T>
        static std::vector<T> list(const std::string& name, const std::string& text, T lo = std::numeric_limits<T>::lowest(),
                                   T hi = std::numeric_limits<T>::max(), char sep = ',')
        {
            std::vector<T> values;
            std::stringstream in(text);
            for (std::string item; std::getline(in, item, sep);)
                values.push_back(number<T>(name, item, lo, hi));
            if (values.empty() || (!text.empty() && text.back() == sep))
                throw usage_error(name + " expects a list of " + what<T>(lo, hi) + ", got '" + printable(text) + "'");
            return values;
        }

    private:
        struct option
        {
            std::string name, metavar, help;
            bool flag;
            std::function<void(const std::string&)> set;
            std::string def;
        };
        static void line(std::ostream& os, const std::string& left, const std::string& help, const std::string& def)
        {
            os << left << std::string(left.size() < 26 ? 26 - left.size() : 1, ' ') << help;
            if (!def.empty())
                os << " (default " << def << ")";
            os << "\n";
        }
        template <class T>
        static std::string to_text(const T& v)
        {
            std::ostringstream os;
            os << v;
            return os.str();
        }
        template <class T>
        static std::string what(T lo, T hi)
        {
            const char* kind = std::is_integral_v<T> ? "an integer" : "a number";
            const bool any_lo = lo == std::numeric_limits<T>::lowest() || (std::is_unsigned_v<T> && lo == 0);
            if (hi == std::numeric_limits<T>::max())
                return any_lo ? std::string(std::is_unsigned_v<T> ? "a non-negative integer" : kind)
                              : std::string(kind) + " >= " + to_text(lo);
            return std::string(kind) + " in [" + to_text(lo) + ", " + to_text(hi) + "]";
        }
        std::string m_program, m_summary, m_usage_tail;
        std::vector<option> m_opts, m_pos;
    };

    /// A progress bar on stderr, drawn only when stderr is a terminal and the work has run for
    /// more than `delay` seconds (so short runs and logs stay clean).
    class progress
    {
    public:
        progress(std::string label, std::size_t total, double delay = 1.0)
            : m_label(std::move(label)), m_total(total ? total : 1), m_delay(delay),
              m_start(std::chrono::steady_clock::now()), m_tty(isatty(fileno(stderr)) != 0)
        {
        }
        progress(const progress&) = delete;
        progress& operator=(const progress&) = delete;
        ~progress()
        {
            if (m_drawn)
                std::fprintf(stderr, "\r%*s\r", 60, "");
        }
        void tick(std::size_t n = 1)
        {
            m_done += n;
            if (!m_tty)
                return;
            const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
            if (t < m_delay)
                return;
            const int width = 30;
            const int filled = static_cast<int>(width * static_cast<double>(m_done) / static_cast<double>(m_total));
            std::fprintf(stderr, "\r%-16.16s [%s%s] %zu/%zu %.0fs", m_label.c_str(), std::string(std::size_t(filled), '#').c_str(),
                         std::string(std::size_t(width - std::min(filled, width)), '.').c_str(), m_done, m_total, t);
            std::fflush(stderr);
            m_drawn = true;
        }

    private:
        std::string m_label;
        std::size_t m_total, m_done = 0;
        double m_delay;
        std::chrono::steady_clock::time_point m_start;
        bool m_tty, m_drawn = false;
    };
}  // namespace example
