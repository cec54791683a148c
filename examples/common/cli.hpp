#pragma once
// Small helpers shared by the example programs: command-line options with --help, a progress
// bar on stderr, and JSON output. Not part of the library API.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace example
{
    /// Thrown for a bad command line; main prints it with a hint to run --help.
    struct usage_error : std::runtime_error
    {
        using std::runtime_error::runtime_error;
    };

    /// Declarative options: `cli.add("--rank", rank, "help")` for strings, integers, doubles,
    /// bools (flags) and comma-separated lists; `parse` fills them, handles --help, and throws
    /// usage_error on unknown options or malformed values.
    class cli
    {
    public:
        cli(std::string program, std::string summary) : m_program(std::move(program)), m_summary(std::move(summary)) {}

        void add(const std::string& name, bool& flag, const std::string& help)
        {
            m_opts.push_back({name, "", help, true, [&flag](const std::string&) { flag = true; }, flag ? "on" : ""});
        }
        void add(const std::string& name, std::string& value, const std::string& help, const std::string& metavar = "S")
        {
            m_opts.push_back({name, metavar, help, false, [&value](const std::string& s) { value = s; }, value});
        }
        template <class T>
        void add(const std::string& name, T& value, const std::string& help, const std::string& metavar = "N")
        {
            m_opts.push_back({name, metavar, help, false,
                              [&value, name](const std::string& s) { value = convert<T>(name, s); }, to_text(value)});
        }
        template <class T>
        void add(const std::string& name, std::vector<T>& values, const std::string& help,
                 const std::string& metavar = "A,B,..")
        {
            std::string def;
            for (std::size_t i = 0; i < values.size(); ++i)
                def += (i ? "," : "") + to_text(values[i]);
            m_opts.push_back({name, metavar, help, false,
                              [&values, name](const std::string& s) {
                                  values.clear();
                                  std::stringstream in(s);
                                  std::string item;
                                  while (std::getline(in, item, ','))
                                      values.push_back(convert<T>(name, item));
                                  if (values.empty())
                                      throw usage_error(name + " needs at least one value");
                              },
                              def});
        }

        /// Parses argv; returns false when --help was printed (exit 0).
        bool parse(int argc, char** argv)
        {
            for (int i = 1; i < argc; ++i)
            {
                std::string arg = argv[i], value;
                if (arg == "--help" || arg == "-h")
                {
                    print_help(std::cout);
                    return false;
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
                    throw usage_error("unknown option '" + arg + "'");
                if (!o->flag && !inline_value)
                {
                    if (i + 1 >= argc)
                        throw usage_error(arg + " needs a value (" + o->metavar + ")");
                    value = argv[++i];
                }
                o->set(value);
            }
            return true;
        }

        void print_help(std::ostream& os) const
        {
            os << "usage: " << m_program << " [options]\n\n" << m_summary << "\n\noptions:\n";
            for (const auto& o : m_opts)
            {
                std::string left = "  " + o.name + (o.metavar.empty() ? "" : " " + o.metavar);
                os << left << std::string(left.size() < 26 ? 26 - left.size() : 1, ' ') << o.help;
                if (!o.flag && !o.def.empty())
                    os << " (default " << o.def << ")";
                os << "\n";
            }
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
                std::cerr << program << ": " << e.what() << " (see --help)\n";
                return 2;
            }
            catch (const std::exception& e)
            {
                std::cerr << program << ": " << e.what() << "\n";
                return 1;
            }
        }

    private:
        struct option
        {
            std::string name, metavar, help;
            bool flag;
            std::function<void(const std::string&)> set;
            std::string def;
        };
        template <class T>
        static std::string to_text(const T& v)
        {
            std::ostringstream os;
            os << v;
            return os.str();
        }
        template <class T>
        static T convert(const std::string& name, const std::string& s)
        {
            std::istringstream in(s);
            T v{};
            if constexpr (std::is_unsigned_v<T>)
                if (!s.empty() && s[0] == '-')
                    throw usage_error(name + " must be non-negative, got '" + s + "'");
            if (!(in >> v) || !in.eof())
                throw usage_error(name + ": cannot parse '" + s + "'");
            return v;
        }
        std::string m_program, m_summary;
        std::vector<option> m_opts;
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
