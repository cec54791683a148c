#pragma once
/// \file status.hpp
/// Numerical outcomes reported in results instead of thrown (STYLE.md 5).

#include <string>

namespace tessera
{
    /// What happened numerically in a computation that returned normally.
    enum class status_code
    {
        ok,                ///< computed as asked
        fallback_used,     ///< the preferred algorithm failed or was unsuitable; another one ran
        rank_deficient,    ///< the input (or a factor) is numerically rank deficient
        not_converged,     ///< an iteration stopped at its limit before meeting its tolerance
        accuracy_limited,  ///< the answer is returned but cannot meet the requested accuracy
        degenerate         ///< the input is degenerate for this measure (e.g. a flat simplex)
    };

    /// Name of a status code, e.g. "fallback_used".
    inline const char* to_string(status_code c) noexcept
    {
        switch (c)
        {
            case status_code::ok: return "ok";
            case status_code::fallback_used: return "fallback_used";
            case status_code::rank_deficient: return "rank_deficient";
            case status_code::not_converged: return "not_converged";
            case status_code::accuracy_limited: return "accuracy_limited";
            case status_code::degenerate: return "degenerate";
        }
        return "unknown";
    }

    /// A status code plus a human-readable explanation (empty when ok).
    struct status
    {
        status_code code = status_code::ok;  ///< what happened
        std::string message;                 ///< why, with the numbers involved

        /// True when code == status_code::ok.
        bool ok() const noexcept { return code == status_code::ok; }
    };
}  // namespace tessera
