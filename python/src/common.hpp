#pragma once
/// \file common.hpp
/// Shared plumbing of tessera's Python extension `tessera._tessera` (pybind11 2.10, numpy).
///
/// Contract for every `python/src/bind_<module>.cpp`:
/// - define `void tessera_py::bind_<module>(pybind11::module_& m)`; `m` is the submodule
///   `tessera.<module>` that `module.cpp` created. CMake globs `python/src/bind_*.cpp` and
///   generates `bind_list.inc` (one `TESSERA_PY_BIND(<module>)` line per file present), so
///   `module.cpp` calls exactly the binders that exist; a module without a file is an empty
///   submodule. Adding a file needs no edit elsewhere (the glob uses CONFIGURE_DEPENDS).
/// - Inputs. `as_array<T>(obj)` gives a C-contiguous `py::array_t<T>`: NO copy when `obj`
///   already is a C-contiguous numpy array of dtype T, otherwise numpy converts (one copy:
///   non-contiguous, other dtype, lists). `view<T, N>(arr, fn, param)` wraps its buffer as a
///   read-only `xt::xtensor_adaptor` (xt::adapt, no copy; xtensor-python is not in Debian).
///   Note: the library's `detail::evaluate` copies an adaptor once into an `xt::xtensor`
///   (an O(size) memcpy, small next to the O(size * k) work of every bound function);
///   `to_xtensor<T, N>` makes that copy explicitly when a binding needs an owned tensor.
/// - dtype dispatch: `dispatch(obj, f)` calls `f(float{})` for float32 input, `f(double{})`
///   for float64, and `f(double{})` for every other dtype (ints, float16, bool: converted to
///   float64, documented in docs/python.md). Second inputs are converted to the first's T.
/// - Outputs. `to_numpy(std::move(xtensor))` moves the tensor into a heap object owned by a
///   capsule; the returned array views its data (no copy). For an array member of a result
///   object use `def_array(cls, "name", &R::member, doc)`: the property returns a read-only
///   view whose base keeps the Python result object alive (no copy).
/// - Exceptions: `register_exceptions()` (called once in module.cpp) maps
///   tessera::invalid_argument -> ValueError, tessera::io_error -> OSError,
///   tessera::lapack_error and other tessera::error -> RuntimeError, each with the library's
///   message (which starts with the function name).
/// - GIL: `without_gil([&] { return tessera::...(x, ...); })` releases the GIL around a
///   long C++ call. Build the xtensor views BEFORE it and convert results AFTER it: no Python
///   object may be touched inside.
/// - Status: `tessera::status` is bound once (module.cpp, `bind_core`) as `tessera.Status`
///   (read-only `code`: `tessera.StatusCode` enum, `message`: str, `ok`: bool, `str()` gives
///   the code name, `s == "ok"` compares the name); a result class just does
///   `.def_readonly("status", &R::status)`. `status_to_py(s)` returns that object.

#include <array>
#include <cmath>
#include <cstddef>
#include <exception>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include <tessera/core/errors.hpp>
#include <tessera/core/status.hpp>
#include <tessera/spectral/pca.hpp>
#include <tessera/spectral/svd_result.hpp>

namespace tessera_py
{
    namespace py = pybind11;

    // One binder per module, defined in python/src/bind_<module>.cpp.
    void bind_simplex(py::module_& m);
    void bind_spectral(py::module_& m);
    void bind_projection(py::module_& m);
    void bind_stats(py::module_& m);
    void bind_io(py::module_& m);
    void bind_tt(py::module_& m);
    void bind_ternary(py::module_& m);
    void bind_align(py::module_& m);
    void bind_compress(py::module_& m);
    void bind_model(py::module_& m);
    void bind_stream(py::module_& m);

    /// A C-contiguous numpy array of T; numpy converts (copies) other layouts and dtypes.
    template <class T>
    using carray = py::array_t<T, py::array::c_style | py::array::forcecast>;

    /// `obj` as a C-contiguous array of T: no copy when it already is one, else converted.
    template <class T>
    carray<T> as_array(const py::handle& obj)
    {
        return carray<T>::ensure(obj);
    }

    /// Shape of a numpy array as a string, e.g. "(3, 4)", for error messages.
    inline std::string shape_string(const py::array& a)
    {
        std::string s = "(";
        for (py::ssize_t i = 0; i < a.ndim(); ++i)
            s += (i ? ", " : "") + std::to_string(a.shape(i));
        return s + (a.ndim() == 1 ? ",)" : ")");
    }

    /// Read-only xtensor view of a C-contiguous array with exactly N dimensions (no copy).
    /// \throws tessera::invalid_argument ("fn: param must have N dimension(s), got shape ...").
    template <class T, std::size_t N>
    auto view(const carray<T>& a, const char* fn, const char* param)
    {
        tessera::require(a.ndim() == static_cast<py::ssize_t>(N), fn, param, " must have ", N,
                         " dimension(s), got shape ", shape_string(a));
        std::array<std::size_t, N> shape{};
        std::size_t size = 1;
        for (std::size_t i = 0; i < N; ++i)
        {
            shape[i] = static_cast<std::size_t>(a.shape(static_cast<py::ssize_t>(i)));
            size *= shape[i];
        }
        return xt::adapt(a.data(), size, xt::no_ownership(), shape);
    }

    /// An owned xt::xtensor<T, N> copy of a C-contiguous array with N dimensions.
    template <class T, std::size_t N>
    xt::xtensor<T, N> to_xtensor(const carray<T>& a, const char* fn, const char* param)
    {
        return xt::xtensor<T, N>(view<T, N>(a, fn, param));
    }

    /// C-order byte strides of `shape` for elements of T (xtensor uses 0 for extent-1 axes).
    template <class T, class Shape>
    std::vector<py::ssize_t> c_strides(const Shape& shape)
    {
        std::vector<py::ssize_t> strides(shape.size());
        py::ssize_t s = static_cast<py::ssize_t>(sizeof(T));
        for (std::size_t i = shape.size(); i-- > 0;)
        {
            strides[i] = s;
            s *= static_cast<py::ssize_t>(shape[i]);
        }
        return strides;
    }

    /// Moves `x` (an xt::xtensor, an xt::xarray, or a std::vector as a 1-D array) into a
    /// capsule-owned heap object and returns a numpy array viewing its data (no copy).
    template <class C, std::enable_if_t<!std::is_lvalue_reference_v<C>, int> = 0>
    py::array_t<typename C::value_type> to_numpy(C&& x)
    {
        using T = typename C::value_type;
        auto* owner = new C(std::move(x));
        py::capsule base(owner, [](void* p) { delete static_cast<C*>(p); });
        std::vector<std::size_t> shape;
        if constexpr (std::is_same_v<C, std::vector<T>>)
            shape.push_back(owner->size());
        else
            shape.assign(owner->shape().begin(), owner->shape().end());
        return py::array_t<T>(std::vector<py::ssize_t>(shape.begin(), shape.end()), c_strides<T>(shape),
                              owner->data(), base);
    }

    /// A read-only numpy view of `x`, a member of the C++ object behind `owner` (no copy;
    /// the view keeps `owner` alive).
    template <class T, std::size_t N>
    py::array_t<T> member_view(const xt::xtensor<T, N>& x, py::handle owner)
    {
        std::vector<py::ssize_t> shape(x.shape().begin(), x.shape().end());
        py::array_t<T> a(shape, c_strides<T>(x.shape()), x.data(), owner);
        a.attr("setflags")(py::arg("write") = false);
        return a;
    }

    /// Defines a read-only property `name` returning a no-copy view of the array member `pm`.
    template <class Cls, class R, class M>
    Cls& def_array(Cls& cls, const char* name, M R::*pm, const char* doc)
    {
        cls.def_property_readonly(
            name, [pm](py::object self) { return member_view(self.cast<const R&>().*pm, self); }, doc);
        return cls;
    }

    /// The enum value named `name` among `choices`, e.g. method="qr" (used by bind_simplex,
    /// bind_spectral, bind_projection, bind_stats).
    /// \throws tessera::invalid_argument ("fn: param='x' must be one of 'a', 'b'").
    template <class E>
    E choice(const std::string& name, std::initializer_list<std::pair<const char*, E>> choices, const char* fn,
             const char* param)
    {
        std::string names;
        for (const auto& c : choices)
        {
            if (name == c.first)
                return c.second;
            names += std::string(names.empty() ? "'" : ", '") + c.first + "'";
        }
        tessera::require(false, fn, param, "='", name, "' must be one of ", names);
        return choices.begin()->second;
    }

    /// `r` as a py::object: a Python object as is (py::cast rejects those), anything else cast.
    template <class R>
    py::object to_object(R&& r)
    {
        if constexpr (std::is_base_of_v<py::handle, std::decay_t<R>>)
            return py::reinterpret_borrow<py::object>(r);
        else
            return py::cast(std::forward<R>(r));
    }

    /// Calls `f(float{})` for a float32 array, `f(double{})` for float64 and for every other
    /// dtype (which `as_array<double>` then converts). `obj` may be any array-like; `f` returns
    /// a py::object (or something castable to one) for both element types.
    template <class F>
    py::object dispatch(const py::handle& obj, F&& f)
    {
        py::array a = py::array::ensure(obj);
        if (!a)
            throw py::type_error("expected a numpy array or an array-like of numbers");
        if (a.dtype().kind() == 'f' && a.dtype().itemsize() == 4)
            return to_object(f(float{}));
        return to_object(f(double{}));
    }

    /// `dispatch` plus `view`: calls `f(view)` with a read-only rank-N xtensor view of `obj`
    /// as float (float32 input) or double (every other dtype, converted); returns a py::object.
    template <std::size_t N, class F>
    py::object with_view(const py::handle& obj, const char* fn, const char* param, F&& f)
    {
        return dispatch(obj, [&](auto tag) {
            using T = decltype(tag);
            const auto a = as_array<T>(obj);
            return to_object(f(view<T, N>(a, fn, param)));
        });
    }

    /// One Python class for both element types of a result class template C (tensor_train,
    /// similarity_transform, ...): holds a C<float> or a C<double>; `visit(x, f)` calls f on it.
    template <template <class> class C>
    struct either_dtype
    {
        std::variant<C<float>, C<double>> v;
        /// True when it holds C<float> (numpy float32).
        bool is_float() const noexcept { return v.index() == 0; }
        /// numpy's dtype of the element type held.
        py::dtype dtype() const { return is_float() ? py::dtype::of<float>() : py::dtype::of<double>(); }
    };

    /// tessera.spectral.SVDResult: svd_result<T> without its T, U [m, r], S [r], Vt [r, n] as
    /// numpy arrays (bound in bind_spectral.cpp; shared so that bind_compress can save and load it).
    struct py_svd
    {
        py::object U, S, Vt;
        tessera::status status;
        std::string method;
        double relative_error = std::nan("");  // adaptive_svd only
        std::size_t basis_size = 0;            // adaptive_svd only
        py::object report = py::none();        // tessera.stream.PassReport of a streamed SVD
    };

    /// A fitted PCA of either element type (kept whole for transform / inverse_transform): the
    /// Python tessera.spectral.PCA, returned by spectral.pca and stream.pca.
    struct py_pca
    {
        std::variant<tessera::spectral::pca_result<float>, tessera::spectral::pca_result<double>> fit;
        py::object report = py::none();  // tessera.stream.PassReport of a streamed fit
    };

    /// An svd_result as the Python SVDResult (its factors moved into numpy arrays).
    template <class T>
    py_svd svd_to_py(tessera::spectral::svd_result<T>&& r)
    {
        py_svd o;
        o.status = r.status;
        o.method = tessera::spectral::to_string(r.method);
        o.U = to_numpy(std::move(r.U));
        o.S = to_numpy(std::move(r.S));
        o.Vt = to_numpy(std::move(r.Vt));
        return o;
    }

    /// Calls `f(c)` on the C<float> or C<double> that `x` holds (f returns one type for both).
    template <template <class> class C, class F>
    decltype(auto) visit(const either_dtype<C>& x, F&& f)
    {
        return std::visit(std::forward<F>(f), x.v);
    }

    /// Runs `f()` with the GIL released (for long C++ calls; touch no Python object inside).
    template <class F>
    decltype(auto) without_gil(F&& f)
    {
        py::gil_scoped_release release;
        return f();
    }

    /// The Python object of a status (a `tessera.Status`; registered in module.cpp).
    inline py::object status_to_py(const tessera::status& s) { return py::cast(s); }

    /// Maps tessera's exceptions to Python's, keeping the library's message. Call once.
    inline void register_exceptions()
    {
        py::register_exception_translator([](std::exception_ptr p) {
            try
            {
                if (p)
                    std::rethrow_exception(p);
            }
            catch (const tessera::invalid_argument& e)
            {
                PyErr_SetString(PyExc_ValueError, e.what());
            }
            catch (const tessera::io_error& e)
            {
                PyErr_SetString(PyExc_OSError, e.what());
            }
            catch (const tessera::error& e)
            {
                PyErr_SetString(PyExc_RuntimeError, e.what());
            }
        });
    }
}  // namespace tessera_py
