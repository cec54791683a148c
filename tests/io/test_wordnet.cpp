#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <tessera/io/wordnet.hpp>
#include <tessera/io/wordnet_path.hpp>

#include "test_support.hpp"
#include "wordnet_dir.hpp"

namespace tio = tessera::io;
namespace fs = std::filesystem;

namespace
{
    // A seven-synset noun hierarchy:  entity <- animal <- {dog <-@i lassie, cat}, entity <- artifact <- car.
    const char* const k_data =
        "  1 licence header line\n"
        "00000010 03 n 01 entity 0 002 ~ 00000020 n 0000 ~ 00000030 n 0000 | the root\n"
        "00000020 05 n 01 animal 0 003 @ 00000010 n 0000 ~ 00000040 n 0000 ~ 00000050 n 0000 | a\n"
        "00000030 06 n 02 artifact 0 thing 1 001 @ 00000010 n 0000 | b\n"
        "00000040 05 n 02 dog 0 domestic_dog 0 001 @ 00000020 n 0000 | c\n"
        "00000050 05 n 01 cat 0 001 @ 00000020 n 0000 | d\n"
        "00000060 18 n 01 Lassie 0 001 @i 00000040 n 0000 | e\n"
        "00000070 06 n 01 car 0 001 @ 00000030 n 0000 | f\n";
    const char* const k_index =
        "  1 licence header line\n"
        "animal n 1 1 @ 1 0 00000020\n"
        "artifact n 1 1 @ 1 0 00000030\n"
        "car n 1 1 @ 1 0 00000070\n"
        "cat n 1 1 @ 1 0 00000050\n"
        "dog n 1 1 @ 1 0 00000040\n"
        "entity n 1 1 ~ 1 0 00000010\n"
        "lassie n 1 1 @i 1 0 00000060\n"
        "thing n 1 1 @ 1 0 00000030\n";
    const char* const k_exc = "dogz dog\n";

    fs::path write_db(const std::string& name, const std::string& data, const std::string& index,
                      const std::string& exc = k_exc, const char* suffix = "noun")
    {
        const fs::path dir = fs::temp_directory_path() / ("tessera_wn_" + name);
        fs::create_directories(dir);
        std::ofstream(dir / (std::string("data.") + suffix), std::ios::binary) << data;
        std::ofstream(dir / (std::string("index.") + suffix), std::ios::binary) << index;
        std::ofstream(dir / (std::string(suffix) + ".exc"), std::ios::binary) << exc;
        return dir;
    }

    std::uint32_t id_of(const tio::wordnet& wn, const std::string& w)
    {
        const auto* v = wn.lemma_synsets(w);
        REQUIRE(v != nullptr);
        return v->front();
    }

    std::string read_error(const fs::path& dir, tio::wordnet_pos pos = tio::wordnet_pos::noun)
    {
        try
        {
            (void)tio::read_wordnet(dir.string(), pos);
        }
        catch (const tessera::io_error& e)
        {
            return e.what();
        }
        return "no error";
    }
}  // namespace

TEST_CASE("read_wordnet parses synsets, lemmas, pointers and hypernym edges")
{
    const auto wn = tio::read_wordnet(write_db("ok", k_data, k_index).string());
    CHECK(wn.size() == 7);
    CHECK(wn.lemma_count() == 8);
    const auto& dog = wn.synset(id_of(wn, "dog"));
    CHECK(dog.offset == 40);
    CHECK(dog.lex_file == 5);
    CHECK(std::string(tio::wordnet_lex_name(dog.lex_file)) == "noun.animal");
    CHECK(dog.lemmas == std::vector<std::string>{"dog", "domestic_dog"});
    REQUIRE(dog.hypernyms.size() == 1);
    CHECK(wn.synset(dog.hypernyms[0]).lemmas[0] == "animal");
    const auto& lassie = wn.synset(id_of(wn, "lassie"));
    CHECK(lassie.hypernyms.empty());
    CHECK(lassie.instance_hypernyms == std::vector<std::uint32_t>{id_of(wn, "dog")});
    const auto& entity = wn.synset(id_of(wn, "entity"));
    REQUIRE(entity.pointers.size() == 2);
    CHECK(entity.pointers[1].symbol == "~");
    CHECK(entity.pointers[1].target_offset == 30);
    CHECK(wn.find(70).value() == id_of(wn, "car"));
    CHECK_FALSE(wn.find(71).has_value());
    CHECK(id_of(wn, "thing") == id_of(wn, "artifact"));
    CHECK(wn.name(id_of(wn, "lassie")) == "lassie.n.01");  // nltk's name: first lemma lower-cased
    CHECK(wn.name(id_of(wn, "thing")) == "artifact.n.01");
    CHECK_THROWS_AS((void)wn.synset(7), tessera::invalid_argument);
}

TEST_CASE("path distance and similarity: closed forms on the small hierarchy")
{
    const auto wn = tio::read_wordnet(write_db("path", k_data, k_index).string());
    const auto d = [&](const char* a, const char* b) { return tio::synset_distance(wn, id_of(wn, a), id_of(wn, b)); };
    CHECK(d("dog", "dog") == 0u);
    CHECK(d("dog", "cat") == 2u);      // dog -> animal <- cat
    CHECK(d("lassie", "cat") == 3u);   // through an instance-hypernym edge
    CHECK(d("dog", "car") == 4u);      // dog -> animal -> entity <- artifact <- car
    CHECK(d("entity", "lassie") == 3u);
    CHECK(tio::path_similarity(wn, id_of(wn, "dog"), id_of(wn, "car")) == 1.0 / 5.0);
    CHECK(tio::word_path_similarity(wn, "Dogs", "cat") == 1.0 / 3.0);  // lower-cased, morphy
    CHECK(tio::word_path_similarity(wn, "dogz", "dog") == 1.0);       // exception list
    CHECK(std::isnan(tio::word_path_similarity(wn, "unicorn", "dog")));
    CHECK(wn.morphy("dogs") == std::vector<std::string>{"dog"});
    CHECK(wn.morphy("things") == std::vector<std::string>{"thing"});
    CHECK(wn.morphy("unicorns").empty());
}

TEST_CASE("path distance across verb hierarchies goes through nltk's simulated root")
{
    const std::string data = "00000010 29 v 01 move 0 000 | a\n"
                             "00000020 38 v 01 walk 0 001 @ 00000010 v 0000 | b\n"
                             "00000030 30 v 01 change 0 000 | c\n";
    const std::string index = "change v 1 0 1 0 00000030\nmove v 1 0 1 0 00000010\nwalk v 1 0 1 0 00000020\n";
    const auto wv = tio::read_wordnet(write_db("verb", data, index, "", "verb").string(), tio::wordnet_pos::verb);
    CHECK(tio::word_path_similarity(wv, "walk", "move") == 0.5);
    CHECK(tio::word_path_similarity(wv, "walk", "change") == 0.25);  // (1 + 1) + (0 + 1) edges via the root
    CHECK(tio::word_path_similarity(wv, "walking", "change") == 0.25);
}

TEST_CASE("read_wordnet rejects malformed files naming the file, line and byte offset")
{
    const std::string good_index = "entity n 1 0 1 0 00000010\n";
    struct bad_case
    {
        const char* name;
        std::string data;
        std::string index;
        const char* expect;
    };
    const std::vector<bad_case> cases = {
        {"offset", "0000001x 03 n 01 entity 0 000 | a\n", good_index,
         "data.noun: line 1: synset_offset must be a decimal number"},
        {"short", "00000010 03 n 01 entity\n", good_index, "data.noun: line 1: line ends where lex_id was expected"},
        {"type", "00000010 03 q 01 entity 0 000 | a\n", good_index, "ss_type must be one of n v a s r, got \"q\""},
        {"wcnt", "00000010 03 n 00 000 | a\n", good_index, "w_cnt must be at least 1"},
        {"pcnt", "00000010 03 n 01 entity 0 005 @ 00000010 n 0000\n", good_index,
         "line ends where pointer_symbol was expected"},
        {"sorted", "00000010 03 n 01 entity 0 000 | a\n00000010 03 n 01 thing 0 000 | b\n", good_index,
         "data.noun: line 2: synset_offset 10 is not above the previous one"},
        {"target", "00000010 03 n 01 entity 0 001 @ 00000099 n 0000 | a\n", good_index,
         "data.noun: line 1: hypernym pointer @ 99 n has no target synset"},
        {"index", "00000010 03 n 01 entity 0 000 | a\n", "entity n 1 0 1 0 00000011\n",
         "index.noun: line 1: lemma \"entity\" names synset 11, absent from the data file"},
        {"index_short", "00000010 03 n 01 entity 0 000 | a\n", "entity n 3 0 1 0 00000010\n",
         "index.noun: line 1: line ends where synset_offset was expected"},
    };
    for (const auto& c : cases)
    {
        CAPTURE(c.name);
        const std::string msg = read_error(write_db(std::string("bad_") + c.name, c.data, c.index));
        CHECK_MESSAGE(msg.find(c.expect) != std::string::npos, msg);
    }
    const fs::path missing = fs::temp_directory_path() / "tessera_wn_missing_dir";
    CHECK(read_error(missing).find("data.noun: byte 0: cannot open") != std::string::npos);
    try
    {
        (void)tio::read_wordnet(write_db("offset_byte", "00000010 03 n 01 entity 0 00x | a\n", good_index).string());
        FAIL("no error");
    }
    catch (const tessera::io_error& e)
    {
        CHECK(e.line() == 1);
        CHECK(e.offset() == 26);  // the p_cnt token's byte offset
    }
}

namespace
{
    std::vector<std::vector<std::string>> read_tsv(const std::string& rel)
    {
        std::ifstream in(tessera_test::fixture(rel));
        REQUIRE(in.is_open());
        std::vector<std::vector<std::string>> rows;
        std::string line;
        while (std::getline(in, line))
        {
            std::vector<std::string> f;
            std::stringstream ss(line);
            for (std::string t; std::getline(ss, t, '\t');)
                f.push_back(t);
            rows.push_back(f);
        }
        return rows;
    }
}  // namespace

TEST_CASE("WordNet 3.0 (Debian wordnet-base): counts, morphy and path similarity equal nltk 3.8's")
{
    const fs::path dir = tessera_test::wordnet_dir();
    TESSERA_SKIP_IF_MISSING(dir, "WordNet 3.0 (/usr/share/wordnet from Debian wordnet-base; scripts/bootstrap.sh)");
    const auto wn = tio::read_wordnet(dir.string());
    const auto wv = tio::read_wordnet(dir.string(), tio::wordnet_pos::verb);
    CHECK(wn.size() == 82115);  // WordNet 3.0's noun synsets
    CHECK(wn.lemma_count() == 117798);
    CHECK(wv.size() == 13767);

    std::size_t n = 0;
    for (const auto& r : read_tsv("wordnet/pairs.tsv"))
    {
        REQUIRE(r.size() == 5);
        CAPTURE(r[1]);
        CAPTURE(r[2]);
        const auto& db = r[0] == "n" ? wn : wv;
        const double sim = tio::word_path_similarity(db, r[1], r[2]);
        const auto d = tio::word_distance(tio::word_ancestors(db, r[1]), tio::word_ancestors(db, r[2]), r[0] != "n");
        if (r[3] == "-1")
        {
            CHECK(std::isnan(sim));
            CHECK_FALSE(d.has_value());
        }
        else
        {
            CHECK(d.value_or(99999) == std::stoul(r[3]));
            CHECK(sim == std::strtod(r[4].c_str(), nullptr));  // exact: both are 1.0 / (d + 1)
        }
        ++n;
    }
    CHECK(n == 250);
    n = 0;
    for (const auto& r : read_tsv("wordnet/synsets.tsv"))
    {
        const auto& db = r[0] == "n" ? wn : wv;
        const auto a = db.find(static_cast<std::uint32_t>(std::stoul(r[1])));
        const auto b = db.find(static_cast<std::uint32_t>(std::stoul(r[2])));
        REQUIRE((a && b));
        CHECK(tio::synset_distance(db, *a, *b) == static_cast<std::uint32_t>(std::stoul(r[3])));
        CHECK(db.name(*a) == r[4]);
        CHECK(db.name(*b) == r[5]);
        ++n;
    }
    CHECK(n == 70);
    for (const auto& r : read_tsv("wordnet/morphy.tsv"))
    {
        CAPTURE(r[0]);
        CHECK(wn.morphy(r[0]) == std::vector<std::string>(r.begin() + 1, r.end()));
    }
}
