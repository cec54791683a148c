#pragma once
// Helpers for the io tests: read a generator's `.expected` sidecar (shape + hex floats), write
// bytes to a temporary file, and check that an io_error names the file and an offset/line.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/core/errors.hpp>

#include "test_support.hpp"

namespace io_test
{
    struct expected_array
    {
        std::vector<std::size_t> shape;
        std::vector<double> values;
    };

    inline expected_array read_expected(const std::string& name)
    {
        std::ifstream in(tessera_test::fixture("io/" + name + ".expected"));
        REQUIRE_MESSAGE(in.good(), "missing fixture " << name << ".expected (run tests/fixtures/generate_io.py)");
        expected_array e;
        std::string line;
        std::getline(in, line);
        std::istringstream ls(line);
        std::size_t d = 0;
        while (ls >> d)
            e.shape.push_back(d);
        while (std::getline(in, line))
            if (!line.empty())
                e.values.push_back(std::strtod(line.c_str(), nullptr));
        return e;
    }

    inline std::string temp_path(const std::string& name)
    {
        return (tessera_test::fs::temp_directory_path() / ("tessera_io_test_" + name)).string();
    }

    inline std::string write_temp(const std::string& name, const std::string& bytes)
    {
        const std::string p = temp_path(name);
        std::ofstream out(p, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return p;
    }

    inline std::string slurp(const std::string& path)
    {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }

    /// Runs f, requires a tessera::io_error whose message starts with "<file>: byte <offset>: "
    /// (or "line <line>") and contains `needle`.
    template <class F>
    void check_io_error(F&& f, const std::string& file, const std::string& where, const std::string& needle)
    {
        try
        {
            f();
            FAIL("expected tessera::io_error containing '" << needle << "'");
        }
        catch (const tessera::io_error& e)
        {
            const std::string what = e.what();
            INFO("message: " << what);
            CHECK(e.file() == file);
            CHECK(what.rfind(file + ": " + where + ": ", 0) == 0);
            CHECK(what.find(needle) != std::string::npos);
        }
    }
    /// Runs f, requires a tessera::invalid_argument whose message contains `needle`.
    template <class F>
    void check_invalid_argument(F&& f, const std::string& needle)
    {
        try
        {
            f();
            FAIL("expected tessera::invalid_argument containing '" << needle << "'");
        }
        catch (const tessera::invalid_argument& e)
        {
            INFO("message: " << e.what());
            CHECK(std::string(e.what()).find(needle) != std::string::npos);
        }
    }
}  // namespace io_test
