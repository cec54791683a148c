// The one doctest main, compiled once and linked into every test executable. It adds what doctest
// lacks: a test case that ends through TESSERA_SKIP_IF_MISSING is recorded as skipped, and the
// executable then exits with tessera_test::skip_exit_code (77) instead of 0 when nothing failed,
// which tests/CMakeLists.txt declares as SKIP_RETURN_CODE: ctest lists it as "Skipped", not "Passed".
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace
{
    /// Test case running now, and every (test case, reason) skip recorded during the run.
    struct skip_log
    {
        std::string current;
        std::vector<std::pair<std::string, std::string>> skips;
    };

    skip_log& log()
    {
        static skip_log l;
        return l;
    }

    /// Listener that only remembers which test case is running, for record_skip.
    struct current_test_listener : doctest::IReporter
    {
        explicit current_test_listener(const doctest::ContextOptions&) {}
        void report_query(const doctest::QueryData&) override {}
        void test_run_start() override {}
        void test_run_end(const doctest::TestRunStats&) override {}
        void test_case_start(const doctest::TestCaseData& tc) override { log().current = tc.m_name; }
        void test_case_reenter(const doctest::TestCaseData&) override {}
        void test_case_end(const doctest::CurrentTestCaseStats&) override {}
        void test_case_exception(const doctest::TestCaseException&) override {}
        void subcase_start(const doctest::SubcaseSignature&) override {}
        void subcase_end() override {}
        void log_assert(const doctest::AssertData&) override {}
        void log_message(const doctest::MessageData&) override {}
        void test_case_skipped(const doctest::TestCaseData&) override {}
    };
    REGISTER_LISTENER("tessera_current_test", 0, current_test_listener);
}  // namespace

void tessera_test::record_skip(const std::string& what)
{
    auto& l = log();
    for (const auto& s : l.skips)
        if (s.first == l.current && s.second == what)
            return;  // the same skip seen again (subcases, template instances)
    l.skips.emplace_back(l.current, what);
}

int main(int argc, char** argv)
{
    doctest::Context context(argc, argv);
    const int result = context.run();
    if (context.shouldExit() || result != 0 || log().skips.empty())
        return result;
    std::cout << "SKIPPED: " << log().skips.size() << " test case(s) did not run in full (exit code "
              << tessera_test::skip_exit_code << ", ctest reports Skipped):\n";
    for (const auto& [test, what] : log().skips)
        std::cout << "SKIPPED:   \"" << test << "\": " << what << "\n";
    return tessera_test::skip_exit_code;
}
