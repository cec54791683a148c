#pragma once
/// \file gguf_metadata.hpp
/// GGUF metadata: `gguf_value` (one typed value: the twelve scalar types, string, or an array of
/// values, arrays nesting) and `gguf_metadata` (the key/value list of a file, in file order, with
/// typed getters `get<T>(key) -> std::optional<T>` and `at<T>(key)`).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "../../core/errors.hpp"
#include "gguf_types.hpp"

namespace tessera::io
{
    namespace detail
    {
        class gguf_value;

        /// A GGUF array: its element type and the elements (each of that type; arrays may nest).
        struct gguf_array
        {
            gguf_value_type type = gguf_value_type::uint8;  ///< element type
            std::vector<gguf_value> values;                 ///< the elements
        };

        template <class T>
        struct is_std_vector : std::false_type
        {
        };
        template <class U>
        struct is_std_vector<std::vector<U>> : std::true_type
        {
        };

        /// One GGUF metadata value. The C++ type selects the GGUF type: `std::uint8_t` .. `std::int64_t`,
        /// `float`, `double`, `bool`, `std::string` (or `const char*`), `gguf_array`, or a
        /// `std::vector` of any of these (an array whose element type is that of the first).
        class gguf_value
        {
        public:
            /// The alternatives, indexed by gguf_value_type's numbers.
            using storage = std::variant<std::uint8_t, std::int8_t, std::uint16_t, std::int16_t, std::uint32_t,
                                         std::int32_t, float, bool, std::string, gguf_array, std::uint64_t,
                                         std::int64_t, double>;

            /// A uint8 zero.
            gguf_value() = default;
            /// A scalar of the GGUF type matching V's size and signedness (int -> int32, ...).
            template <class V, std::enable_if_t<std::is_arithmetic_v<V>, bool> = true>
            gguf_value(V v) : m_value(make_scalar(v))  // NOLINT(google-explicit-constructor)
            {
            }
            /// A string.
            gguf_value(std::string s) : m_value(std::in_place_type<std::string>, std::move(s)) {}  // NOLINT
            /// A string.
            gguf_value(const char* s) : m_value(std::in_place_type<std::string>, s) {}  // NOLINT
            /// An array.
            gguf_value(gguf_array a) : m_value(std::in_place_type<gguf_array>, std::move(a)) {}  // NOLINT
            /// An array of the elements of `v` (element type from U; uint8 when empty and U is not arithmetic).
            template <class U>
            gguf_value(const std::vector<U>& v)  // NOLINT(google-explicit-constructor)
            {
                gguf_array a;
                if constexpr (std::is_same_v<U, gguf_value>)
                    a.type = v.empty() ? gguf_value_type::uint8 : v.front().type();
                else
                    a.type = gguf_value(U{}).type();
                a.values.reserve(v.size());
                for (const auto& x : v)
                    a.values.emplace_back(x);
                m_value.emplace<gguf_array>(std::move(a));
            }

            /// The GGUF type.
            gguf_value_type type() const noexcept { return static_cast<gguf_value_type>(m_value.index()); }
            /// The stored alternative.
            const storage& value() const noexcept { return m_value; }
            /// The array (\throws tessera::invalid_argument when this is not an array).
            const gguf_array& array() const
            {
                require(type() == gguf_value_type::array, "io::gguf_value::array", "value holds ",
                        gguf_value_type_name(type()), ", not array");
                return std::get<gguf_array>(m_value);
            }

            /// The value converted to T: integers to any integer type that holds them, float32/float64
            /// to float or double, bool, string, arrays to std::vector<U> element by element.
            /// \throws tessera::invalid_argument naming `what` (the key) when the types do not match
            ///         or an integer does not fit.
            template <class T>
            T as(const std::string& what = "value") const
            {
                if constexpr (is_std_vector<T>::value)
                {
                    using U = typename T::value_type;
                    const gguf_array& a = get_or_throw<gguf_array>(what, "array");
                    T out;
                    out.reserve(a.values.size());
                    for (std::size_t i = 0; i < a.values.size(); ++i)
                        out.push_back(a.values[i].template as<U>(concat(what, "[", i, "]")));
                    return out;
                }
                else if constexpr (std::is_same_v<T, std::string>)
                    return get_or_throw<std::string>(what, "string");
                else if constexpr (std::is_same_v<T, bool>)
                    return get_or_throw<bool>(what, "bool");
                else if constexpr (std::is_floating_point_v<T>)
                {
                    if (const auto* f = std::get_if<float>(&m_value))
                        return static_cast<T>(*f);
                    return static_cast<T>(get_or_throw<double>(what, "float32 or float64"));
                }
                else
                {
                    static_assert(std::is_integral_v<T>, "gguf_value::as<T>: T must be an integer, float, double, bool, "
                                                         "std::string or a std::vector of these");
                    return std::visit(
                        [&](const auto& v) -> T {
                            using V = std::decay_t<decltype(v)>;
                            if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>)
                            {
                                bool fits = false;
                                if constexpr (std::is_signed_v<V>)
                                    fits = v < 0 ? std::is_signed_v<T> && static_cast<std::int64_t>(v) >=
                                                                              static_cast<std::int64_t>(std::numeric_limits<T>::min())
                                                 : static_cast<std::uint64_t>(v) <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
                                else
                                    fits = static_cast<std::uint64_t>(v) <= static_cast<std::uint64_t>(std::numeric_limits<T>::max());
                                require(fits, "io::gguf_value::as", what, "=", +v, " does not fit the requested integer type");
                                return static_cast<T>(v);
                            }
                            else
                                throw invalid_argument(concat("io::gguf_value::as: ", what, " holds ", gguf_value_type_name(type()),
                                                              ", not an integer"));
                        },
                        m_value);
                }
            }

        private:
            template <class V>
            static storage make_scalar(V v)
            {
                if constexpr (std::is_same_v<V, bool>)
                    return storage(std::in_place_type<bool>, v);
                else if constexpr (std::is_floating_point_v<V>)
                {
                    if constexpr (sizeof(V) == 4)
                        return storage(std::in_place_type<float>, v);
                    else
                        return storage(std::in_place_type<double>, static_cast<double>(v));
                }
                else if constexpr (sizeof(V) == 1)
                    return std::is_signed_v<V> ? storage(std::in_place_type<std::int8_t>, static_cast<std::int8_t>(v))
                                               : storage(std::in_place_type<std::uint8_t>, static_cast<std::uint8_t>(v));
                else if constexpr (sizeof(V) == 2)
                    return std::is_signed_v<V> ? storage(std::in_place_type<std::int16_t>, static_cast<std::int16_t>(v))
                                               : storage(std::in_place_type<std::uint16_t>, static_cast<std::uint16_t>(v));
                else if constexpr (sizeof(V) == 4)
                    return std::is_signed_v<V> ? storage(std::in_place_type<std::int32_t>, static_cast<std::int32_t>(v))
                                               : storage(std::in_place_type<std::uint32_t>, static_cast<std::uint32_t>(v));
                else
                    return std::is_signed_v<V> ? storage(std::in_place_type<std::int64_t>, static_cast<std::int64_t>(v))
                                               : storage(std::in_place_type<std::uint64_t>, static_cast<std::uint64_t>(v));
            }
            template <class A>
            const A& get_or_throw(const std::string& what, const char* want) const
            {
                const A* p = std::get_if<A>(&m_value);
                if (!p)
                    throw invalid_argument(concat("io::gguf_value::as: ", what, " holds ", gguf_value_type_name(type()), ", not ", want));
                return *p;
            }
            storage m_value;
        };

        /// The key/value metadata of a GGUF file, in file (or insertion) order, keys unique.
        class gguf_metadata
        {
        public:
            /// Number of keys.
            std::size_t size() const noexcept { return m_entries.size(); }
            /// The entries in order.
            const std::vector<std::pair<std::string, gguf_value>>& entries() const noexcept { return m_entries; }
            /// True when `key` is present.
            bool contains(const std::string& key) const { return m_index.count(key) != 0; }
            /// The value of `key`, or nullptr.
            const gguf_value* find(const std::string& key) const
            {
                const auto it = m_index.find(key);
                return it == m_index.end() ? nullptr : &m_entries[it->second].second;
            }
            /// Sets `key` (replacing its value in place, or appending it).
            void set(const std::string& key, gguf_value v)
            {
                const auto it = m_index.find(key);
                if (it != m_index.end())
                    m_entries[it->second].second = std::move(v);
                else
                {
                    m_index.emplace(key, m_entries.size());
                    m_entries.emplace_back(key, std::move(v));
                }
            }
            /// `key`'s value as T (see gguf_value::as), or std::nullopt when the key is absent.
            /// \throws tessera::invalid_argument "io::gguf_value::as: <key> holds uint32, not string" on a type mismatch.
            template <class T>
            std::optional<T> get(const std::string& key) const
            {
                const gguf_value* v = find(key);
                if (!v)
                    return std::nullopt;
                return v->as<T>(key);
            }
            /// `key`'s value as T. \throws tessera::invalid_argument when absent or of another type.
            template <class T>
            T at(const std::string& key) const
            {
                const gguf_value* v = find(key);
                require(v != nullptr, "io::gguf_metadata::at", "key '", key, "' is absent");
                return v->as<T>(key);
            }

        private:
            std::vector<std::pair<std::string, gguf_value>> m_entries;
            std::map<std::string, std::size_t> m_index;
        };
    }  // namespace detail

    using detail::gguf_array, detail::gguf_metadata, detail::gguf_value;
}  // namespace tessera::io
