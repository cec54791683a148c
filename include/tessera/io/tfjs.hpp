#pragma once
/// \file tfjs.hpp
/// Reader for TensorFlow.js weights: a `model.json` whose `weightsManifest` is a list of groups
/// `{"paths": [shard files], "weights": [{"name", "shape", "dtype"[, "quantization"]}]}`; each
/// group's shards are concatenated and hold its weights back to back, in manifest order.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <xtensor/xarray.hpp>

#include "../core/errors.hpp"
#include "../core/traits.hpp"
#include "dtype.hpp"
#include "mapped_file.hpp"
#include "safetensors.hpp"

namespace tessera::io
{
    namespace detail
    {
        /// Reads every weight of the TF.js manifest `model_json`, in manifest order, converted to T.
        /// Stored dtypes: float32; int32 (converted exactly while |v| < 2^24 for float);
        /// float16; and quantized uint8/uint16 (`value = min + scale * q`, tfjs's affine scheme).
        /// \return named_tensor<T> per weight, `values` shaped as the manifest says ([] -> 0-d).
        /// \throws tessera::io_error naming model.json and the byte offset for malformed JSON or
        ///         manifest entries, or the shard file and offset when a group's shards are shorter
        ///         or longer than its weights need, or a shard path that is empty, absolute or has a
        ///         '..' part (shards must stay inside the manifest's folder).
        template <class T>
        std::vector<named_tensor<T>> read_tfjs_weights(const std::string& model_json)
        {
            static_assert(is_real_v<T>, "tessera::io::read_tfjs_weights<T>: T must be float or double");
            mapped_file mf(model_json);
            nlohmann::json j;
            try
            {
                j = nlohmann::json::parse(mf.data(), mf.data() + mf.size());
            }
            catch (const nlohmann::json::parse_error& e)
            {
                throw io_error(model_json, e.byte > 0 ? e.byte - 1 : 0, concat("malformed JSON: ", e.what()));
            }
            catch (const nlohmann::json::exception& e)  // e.g. out_of_range 406: a number overflows
            {
                throw io_error(model_json, 0, concat("malformed JSON: ", e.what()));
            }
            auto bad = [&](const std::string& what) { return io_error(model_json, 0, concat("weightsManifest: ", what)); };
            if (!j.is_object() || !j.contains("weightsManifest") || !j["weightsManifest"].is_array())
                throw bad("missing or not an array");
            const std::filesystem::path dir = std::filesystem::path(model_json).parent_path();
            std::vector<named_tensor<T>> out;
            std::size_t g = 0;
            for (const auto& group : j["weightsManifest"])
            {
                if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array() || !group.contains("weights") ||
                    !group["weights"].is_array())
                    throw bad(concat("group ", g, " needs 'paths' and 'weights' arrays"));
                std::vector<unsigned char> bytes;
                std::string last_shard = model_json;
                for (const auto& p : group["paths"])
                {
                    if (!p.is_string())
                        throw bad(concat("group ", g, ": a path is not a string"));
                    const std::filesystem::path rel(p.get<std::string>());
                    bool inside = !rel.empty() && !rel.has_root_path();
                    for (const auto& part : rel)
                        inside = inside && part != "..";
                    if (!inside)
                        throw bad(concat("group ", g, ": shard path '", rel.string(),
                                         "' must be a relative path inside the model's folder (no '..', not absolute)"));
                    last_shard = (dir / rel).string();
                    mapped_file shard(last_shard);
                    bytes.insert(bytes.end(), shard.data(), shard.data() + shard.size());
                }
                std::size_t off = 0;
                for (const auto& w : group["weights"])
                {
                    if (!w.is_object() || !w.contains("name") || !w["name"].is_string() || !w.contains("shape") ||
                        !w["shape"].is_array() || !w.contains("dtype") || !w["dtype"].is_string())
                        throw bad(concat("group ", g, ": a weight needs 'name', 'shape' and 'dtype'"));
                    named_tensor<T> t;
                    t.name = w["name"].get<std::string>();
                    std::vector<std::size_t> shape;
                    std::size_t count = 1;
                    for (const auto& d : w["shape"])
                    {
                        if (!d.is_number_unsigned())
                            throw bad(concat("weight '", t.name, "': shape must hold non-negative integers"));
                        shape.push_back(d.get<std::size_t>());
                        count = checked_mul(count, shape.back(), model_json, 0, "shape product");
                    }
                    std::string stored = w["dtype"].get<std::string>();
                    double qmin = 0.0, qscale = 1.0;
                    if (w.contains("quantization"))
                    {
                        const auto& q = w["quantization"];
                        if (!q.is_object() || !q.contains("dtype") || !q["dtype"].is_string())
                            throw bad(concat("weight '", t.name, "': malformed quantization"));
                        stored = q["dtype"].get<std::string>();
                        if (stored == "uint8" || stored == "uint16")
                        {
                            if (!q.contains("min") || !q["min"].is_number() || !q.contains("scale") || !q["scale"].is_number())
                                throw bad(concat("weight '", t.name, "': affine quantization needs 'min' and 'scale'"));
                            qmin = q["min"].get<double>();
                            qscale = q["scale"].get<double>();
                        }
                    }
                    const std::size_t isz = stored == "float32" || stored == "int32" ? 4
                                            : stored == "float16" || stored == "uint16" ? 2 : stored == "uint8" ? 1 : 0;
                    if (isz == 0)
                        throw bad(concat("weight '", t.name, "': unsupported dtype '", stored, "'"));
                    const std::size_t nbytes = checked_mul(count, isz, model_json, 0, "weight byte size");
                    if (bytes.size() - off < nbytes)
                        throw io_error(last_shard, bytes.size(), concat("truncated shards: weight '", t.name, "' needs ", nbytes,
                                                                        " bytes at group offset ", off, ", group has ", bytes.size()));
                    t.values = xt::xarray<T>::from_shape(shape);
                    const unsigned char* src = bytes.data() + off;
                    T* dst = t.values.data();
                    if (stored == "float32")
                        decode(src, dtype::float32, false, dst, count);
                    else if (stored == "float16")
                        decode(src, dtype::float16, false, dst, count);
                    else
                        for (std::size_t i = 0; i < count; ++i)
                        {
                            double v = 0.0;
                            if (stored == "int32")
                            {
                                std::int32_t x;
                                std::memcpy(&x, src + 4 * i, 4);
                                v = x;
                            }
                            else
                                v = qmin + qscale * static_cast<double>(load_le(src + isz * i, isz));
                            dst[i] = static_cast<T>(v);
                        }
                    off += nbytes;
                    out.push_back(std::move(t));
                }
                if (off != bytes.size())
                    throw io_error(last_shard, off, concat("group ", g, ": weights use ", off, " bytes but the shards hold ",
                                                           bytes.size()));
                ++g;
            }
            return out;
        }
    }  // namespace detail

    using detail::read_tfjs_weights;
}  // namespace tessera::io
