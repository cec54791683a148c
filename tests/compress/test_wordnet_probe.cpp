#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/compress/wordnet_probe.hpp>
#include <tessera/io/wordnet.hpp>

#include "../io/wordnet_dir.hpp"
#include "test_support.hpp"

namespace tc = tessera::compress;
namespace tio = tessera::io;

namespace
{
    tio::vocabulary fixture_vocab()
    {
        std::ifstream in(tessera_test::fixture("wordnet/probe_words.txt"));
        REQUIRE(in.is_open());
        tio::vocabulary v;
        for (std::string w; std::getline(in, w);)
            REQUIRE(v.add(w));
        return v;
    }

    template <class T>
    xt::xtensor<T, 2> fixture_embedding()
    {
        std::ifstream in(tessera_test::fixture("wordnet/probe_embedding.txt"));
        std::size_t n = 0, d = 0;
        in >> n >> d;
        REQUIRE(n > 0);
        xt::xtensor<T, 2> E = xt::zeros<T>({n, d});
        for (std::size_t i = 0; i < n * d; ++i)
        {
            double x = 0;
            in >> x;
            E.data()[i] = static_cast<T>(x);  // multiples of 1/4: exact in float
        }
        return E;
    }

    tc::wordnet_probe_sample fixture_sample()
    {
        std::ifstream in(tessera_test::fixture("wordnet/probe_sample.txt"));
        tc::wordnet_probe_sample s;
        std::string tag;
        std::size_t n = 0;
        in >> tag >> n;
        REQUIRE(tag == "pairs");
        s.pairs.resize(n);
        for (auto& p : s.pairs)
            in >> p.a >> p.b;
        in >> tag >> n;
        REQUIRE(tag == "category_pairs");
        s.category_pairs.resize(n);
        for (auto& p : s.category_pairs)
            in >> p.a >> p.b;
        in >> tag >> n;
        REQUIRE(tag == "chain_words");
        s.chain_words.resize(n);
        for (auto& w : s.chain_words)
            in >> w;
        REQUIRE(static_cast<bool>(in));
        return s;
    }

    double hex(const std::string& s) { return std::strtod(s.c_str(), nullptr); }

    void check_close(double got, double want)
    {
        if (std::isnan(want))
            CHECK(std::isnan(got));
        else
            CHECK(got == doctest::Approx(want).epsilon(1e-12));
    }

    void check_mean(const tc::wordnet_mean& m, std::istream& in)
    {
        std::size_t n = 0;
        std::string a, b, c;
        in >> n >> a >> b >> c;
        CHECK(m.count == n);
        check_close(m.mean, hex(a));
        check_close(m.low, hex(b));
        check_close(m.high, hex(c));
    }
}  // namespace

TEST_CASE_TEMPLATE("wordnet_probe equals the numpy/scipy/nltk reference on the fixture's sample", T, float, double)
{
    const auto dir = tessera_test::wordnet_dir();
    TESSERA_SKIP_IF_MISSING(dir, "WordNet 3.0 (/usr/share/wordnet from Debian wordnet-base; scripts/bootstrap.sh)");
    const auto wn = tio::read_wordnet(dir.string());
    const auto vocab = fixture_vocab();
    tc::wordnet_probe_options opt;
    opt.chain_depth = 4;
    const auto r = tc::wordnet_probe(wn, fixture_embedding<T>(), vocab, fixture_sample(), opt);
    CHECK(r.status.ok());
    CHECK(r.vocabulary == vocab.size());
    CHECK(r.in_wordnet == vocab.size());
    CHECK(r.pairs == 400);

    std::ifstream in(tessera_test::fixture("wordnet/probe_expected.txt"));
    std::string tag, v;
    std::size_t band = 0, step = 0, cat = 0;
    while (in >> tag)
    {
        CAPTURE(tag);
        if (tag == "spearman")
        {
            in >> v;
            check_close(r.spearman, hex(v));
        }
        else if (tag == "random")
            check_mean(r.random_cosine, in);
        else if (tag == "band")
        {
            REQUIRE(band < r.bands.size());
            std::uint64_t lo = 0, hi = 0;
            in >> lo >> hi;
            CHECK(r.bands[band].min_distance == lo);
            CHECK(r.bands[band].max_distance == hi);
            check_mean(r.bands[band++].cosine, in);
        }
        else if (tag == "chain")
        {
            REQUIRE(step < r.chain.size());
            std::size_t k = 0;
            in >> k;
            CHECK(r.chain[step].k == k);
            check_mean(r.chain[step++].cosine, in);
        }
        else
        {
            REQUIRE(tag == "category");
            REQUIRE(cat < r.categories.size());
            std::string name;
            std::size_t words = 0;
            in >> name >> words;
            CAPTURE(name);
            CHECK(r.categories[cat].name == name);
            CHECK(r.categories[cat].words == words);
            check_mean(r.categories[cat].cosine, in);
            in >> v;
            check_close(r.categories[cat++].lift, hex(v));
        }
    }
    CHECK(band == r.bands.size());
    CHECK(step == r.chain.size());
    CHECK(cat == r.categories.size());
}

TEST_CASE("sample_wordnet_probe: seeded, distinct in-WordNet rows, within-file category pairs")
{
    const auto dir = tessera_test::wordnet_dir();
    TESSERA_SKIP_IF_MISSING(dir, "WordNet 3.0 (/usr/share/wordnet from Debian wordnet-base; scripts/bootstrap.sh)");
    const auto wn = tio::read_wordnet(dir.string());
    tio::vocabulary vocab = fixture_vocab();
    vocab.add("xyzzyq");  // not in WordNet: never sampled
    vocab.add("the");
    tc::wordnet_probe_options opt;
    opt.pairs = 500;
    opt.category_pairs = 7;
    opt.chain_words = 50;
    const auto s = tc::sample_wordnet_probe(wn, vocab, opt);
    const auto s2 = tc::sample_wordnet_probe(wn, vocab, opt);
    opt.seed = 19;
    const auto s3 = tc::sample_wordnet_probe(wn, vocab, opt);
    REQUIRE(s.pairs.size() == 500);
    CHECK(s.chain_words.size() == 50);
    CHECK(std::set<std::size_t>(s.chain_words.begin(), s.chain_words.end()).size() == 50);
    CHECK(s.category_pairs.size() % 7 == 0);
    bool same = true, differs = false;
    for (std::size_t i = 0; i < s.pairs.size(); ++i)
    {
        CHECK(s.pairs[i].a != s.pairs[i].b);
        CHECK(s.pairs[i].a < vocab.size() - 2);  // the two non-nouns were appended last
        CHECK(s.pairs[i].b < vocab.size() - 2);
        same = same && s.pairs[i].a == s2.pairs[i].a && s.pairs[i].b == s2.pairs[i].b;
        differs = differs || s.pairs[i].a != s3.pairs[i].a;
    }
    CHECK(same);
    CHECK(differs);
    for (const auto& p : s.category_pairs)
    {
        CHECK(p.a != p.b);
        CHECK(wn.synset(wn.lookup(vocab.words[p.a]).front()).lex_file ==
              wn.synset(wn.lookup(vocab.words[p.b]).front()).lex_file);
    }
    const auto r = tc::wordnet_probe(wn, fixture_embedding<double>(), fixture_vocab(), opt);
    CHECK(r.status.ok());
    CHECK(r.pairs == 500);
    CHECK(r.bands.size() == 6);
    CHECK(r.chain.size() == opt.chain_depth);
}

TEST_CASE("wordnet_probe: degenerate status without enough nouns; misuse names the parameter")
{
    const auto dir = tessera_test::wordnet_dir();
    TESSERA_SKIP_IF_MISSING(dir, "WordNet 3.0 (/usr/share/wordnet from Debian wordnet-base; scripts/bootstrap.sh)");
    const auto wn = tio::read_wordnet(dir.string());
    tio::vocabulary few;
    for (const char* w : {"xyzzyq", "qwertyuiop", "dog"})
        few.add(w);
    const xt::xtensor<double, 2> E3 = {{1.0, 0.0}, {0.0, 1.0}, {1.0, 1.0}};
    const auto r = tc::wordnet_probe(wn, E3, few);
    CHECK(r.status.code == tessera::status_code::degenerate);
    CHECK(r.status.message.find("0 pairs of in-WordNet words (1 of 3 words have a noun synset)") != std::string::npos);
    CHECK(r.in_wordnet == 1);
    CHECK(std::isnan(r.spearman));

    const xt::xtensor<double, 2> E2 = {{1.0, 0.0}, {0.0, 1.0}};
    CHECK_THROWS_WITH_AS((void)tc::wordnet_probe(wn, E2, few),
                         doctest::Contains("compress::wordnet_probe: embeddings has 2 rows (shape [2, 2]) but the vocabulary has 3"),
                         tessera::invalid_argument);
    xt::xtensor<double, 2> bad = E3;
    bad(1, 1) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH_AS((void)tc::wordnet_probe(wn, bad, few), doctest::Contains("embeddings"),
                         tessera::invalid_argument);
    tc::wordnet_probe_sample s;
    s.pairs = {{2, 0}};
    CHECK_THROWS_WITH_AS((void)tc::wordnet_probe(wn, E3, few, s),
                         doctest::Contains("pairs row 0 ('xyzzyq') has no noun synset"), tessera::invalid_argument);
    s.pairs = {{2, 7}};
    CHECK_THROWS_WITH_AS((void)tc::wordnet_probe(wn, E3, few, s), doctest::Contains("pairs row=7 must be < vocabulary size 3"),
                         tessera::invalid_argument);
}
