#pragma once
// Inline SVG line/scatter plots and a self-contained HTML page for the example reports.
// No JavaScript, no external resources: the page renders offline in any browser.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace example
{
    inline std::string html_escape(const std::string& s)
    {
        std::string o;
        for (char c : s)
            switch (c)
            {
                case '&': o += "&amp;"; break;
                case '<': o += "&lt;"; break;
                case '>': o += "&gt;"; break;
                case '"': o += "&quot;"; break;
                default: o += c;
            }
        return o;
    }

    inline std::string fmt(double v, int digits = 3)
    {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.*g", digits, v);
        return buf;
    }

    struct series
    {
        std::string name;
        std::vector<double> x, y;
        bool markers = true;  ///< draw points as well as the line
        bool dashed = false;
        std::string color;    ///< CSS colour; empty: the plot's palette by series index
        std::string marker = "circle";    ///< point shape: circle, square, triangle or diamond
        std::vector<std::string> labels;  ///< per-point text drawn beside the point (optional)
        bool frontier = true;             ///< the point takes part in the plot's Pareto frontier
        std::vector<double> y_low, y_high;  ///< per-point interval drawn as a whisker (optional; NaN: none)
    };

    /// A horizontal reference line across the plot (e.g. what additive noise of a given level does).
    struct reference_line
    {
        double y = 0;
        std::string label;
    };

    /// A colour-blind safe palette (Okabe & Ito 2008, with grey for their yellow, which is hard to
    /// see on white), so callers can colour one method alike across plots.
    inline const char* palette(std::size_t i)
    {
        static const char* colors[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                       "#CC79A7", "#56B4E9", "#000000", "#999999"};
        return colors[i % 8];
    }

    /// SVG for one point marker of `shape` (circle, square, triangle, diamond) at (x, y).
    inline std::string marker_svg(const std::string& shape, double x, double y, double r, const std::string& color)
    {
        std::ostringstream o;
        if (shape == "square")
            o << "<rect x=\"" << x - r << "\" y=\"" << y - r << "\" width=\"" << 2 * r << "\" height=\"" << 2 * r;
        else if (shape == "triangle")
            o << "<polygon points=\"" << x << "," << y - 1.2 * r << " " << x - 1.1 * r << "," << y + 0.9 * r << " "
              << x + 1.1 * r << "," << y + 0.9 * r;
        else if (shape == "diamond")
            o << "<polygon points=\"" << x << "," << y - 1.3 * r << " " << x + 1.3 * r << "," << y << " " << x << ","
              << y + 1.3 * r << " " << x - 1.3 * r << "," << y;
        else
            o << "<circle cx=\"" << x << "\" cy=\"" << y << "\" r=\"" << r;
        o << "\" fill=\"" << color << "\"";
        return o.str();
    }

    /// Indices (into xs/ys) of the Pareto frontier sorted by x: the points no other point beats
    /// on both x (lower is better) and y (lower is better when `lower_y_better`, else higher).
    inline std::vector<std::size_t> pareto_frontier(const std::vector<double>& xs, const std::vector<double>& ys,
                                                    bool lower_y_better)
    {
        std::vector<std::size_t> order;
        for (std::size_t i = 0; i < xs.size() && i < ys.size(); ++i)
            if (std::isfinite(xs[i]) && std::isfinite(ys[i]))
                order.push_back(i);
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const double ya = lower_y_better ? ys[a] : -ys[a], yb = lower_y_better ? ys[b] : -ys[b];
            return xs[a] < xs[b] || (xs[a] == xs[b] && ya < yb);
        });
        std::vector<std::size_t> front;
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t i : order)
        {
            const double y = lower_y_better ? ys[i] : -ys[i];
            if (y < best)
                front.push_back(i), best = y;
        }
        return front;
    }

    /// Tick positions (in axis units: log10 for log axes) covering [lo, hi]: powers of ten on a
    /// log axis spanning a decade or more, else 1-2-5 steps.
    inline std::vector<double> ticks(double lo, double hi, bool log)
    {
        std::vector<double> t;
        if (log && hi - lo >= 0.5)
        {
            const bool dense = hi - lo < 2.5;  // few decades: 1-2-5 in every decade
            for (double k = std::floor(lo); k <= hi; k += 1.0)
                for (double m : {1.0, 2.0, 5.0})
                {
                    const double v = k + std::log10(m);
                    if ((m == 1.0 || dense) && v >= lo - 1e-9 && v <= hi + 1e-9)
                        t.push_back(v);
                }
            return t;
        }
        const double raw = (hi - lo) / 5, mag = std::pow(10.0, std::floor(std::log10(raw)));
        const double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
        for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step)
            t.push_back(std::abs(v) < 1e-12 * step ? 0.0 : v);
        return t;
    }

    /// A plot: x and y axes (linear or log10), several series, a legend. `svg()` renders it.
    struct plot
    {
        std::string title, xlabel, ylabel, id;
        bool logx = false, logy = false;
        std::vector<series> lines;
        int width = 580, height = 360;
        /// Pareto frontier over the points of series with `frontier` set: "" (none), "min" (lower
        /// y is better) or "max"; drawn as a thick pale line with ringed points.
        std::string frontier;
        std::vector<reference_line> references;  ///< horizontal dotted lines with their labels

        plot(std::string t, std::string xl, std::string yl, std::string ident, bool lx = false, bool ly = false)
            : title(std::move(t)), xlabel(std::move(xl)), ylabel(std::move(yl)), id(std::move(ident)), logx(lx), logy(ly)
        {
        }

        std::string svg() const
        {
            const double L = 64, R = 172, T = 34, B = 44;
            double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
            auto tx = [&](double v) { return logx ? std::log10(v) : v; };
            auto ty = [&](double v) { return logy ? std::log10(v) : v; };
            auto usable = [&](double x, double y) {
                return std::isfinite(x) && std::isfinite(y) && (!logx || x > 0) && (!logy || y > 0);
            };
            for (const auto& s : lines)
                for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
                    if (usable(s.x[i], s.y[i]))
                    {
                        x0 = std::min(x0, tx(s.x[i]));
                        x1 = std::max(x1, tx(s.x[i]));
                        y0 = std::min(y0, ty(s.y[i]));
                        y1 = std::max(y1, ty(s.y[i]));
                        if (i < s.y_low.size() && i < s.y_high.size() && usable(s.x[i], s.y_low[i]) &&
                            usable(s.x[i], s.y_high[i]))
                            y0 = std::min(y0, ty(s.y_low[i])), y1 = std::max(y1, ty(s.y_high[i]));
                    }
            for (const auto& r : references)
                if (std::isfinite(r.y) && (!logy || r.y > 0) && x0 <= x1)
                    y0 = std::min(y0, ty(r.y)), y1 = std::max(y1, ty(r.y));
            if (!(x0 <= x1))
                x0 = 0, x1 = 1, y0 = 0, y1 = 1;
            if (x1 - x0 < 1e-12)
                x0 -= 0.5, x1 += 0.5;
            if (y1 - y0 < 1e-12)
                y0 -= 0.5, y1 += 0.5;
            const double padx = 0.03 * (x1 - x0), pady = 0.05 * (y1 - y0);
            x0 -= padx, x1 += padx, y0 -= pady, y1 += pady;
            const double W = width - L - R, H = height - T - B;
            auto px = [&](double v) { return L + (tx(v) - x0) / (x1 - x0) * W; };
            auto py = [&](double v) { return T + H - (ty(v) - y0) / (y1 - y0) * H; };
            std::ostringstream o;
            o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" id=\"" << html_escape(id) << "\" width=\""
              << width << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " " << height
              << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
            o << "<rect x=\"0\" y=\"0\" width=\"" << width << "\" height=\"" << height << "\" fill=\"white\"/>\n";
            o << "<text x=\"" << L << "\" y=\"20\" font-size=\"14\" font-weight=\"bold\">" << html_escape(title)
              << "</text>\n";
            o << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << W << "\" height=\"" << H
              << "\" fill=\"none\" stroke=\"#444\"/>\n";
            for (double fx : ticks(x0, x1, logx))
            {
                const double gx = L + (fx - x0) / (x1 - x0) * W;
                o << "<line x1=\"" << gx << "\" y1=\"" << T << "\" x2=\"" << gx << "\" y2=\"" << T + H
                  << "\" stroke=\"#eee\"/><text x=\"" << gx << "\" y=\"" << T + H + 16
                  << "\" text-anchor=\"middle\">" << fmt(logx ? std::pow(10.0, fx) : fx) << "</text>\n";
            }
            for (double fy : ticks(y0, y1, logy))
            {
                const double gy = T + H - (fy - y0) / (y1 - y0) * H;
                o << "<line x1=\"" << L << "\" y1=\"" << gy << "\" x2=\"" << L + W << "\" y2=\"" << gy
                  << "\" stroke=\"#eee\"/><text x=\"" << L - 6 << "\" y=\"" << gy + 4
                  << "\" text-anchor=\"end\">" << fmt(logy ? std::pow(10.0, fy) : fy) << "</text>\n";
            }
            o << "<text x=\"" << L + W / 2 << "\" y=\"" << height - 10 << "\" text-anchor=\"middle\">"
              << html_escape(xlabel) << (logx ? " (log)" : "") << "</text>\n";
            o << "<text transform=\"translate(16," << T + H / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
              << html_escape(ylabel) << (logy ? " (log)" : "") << "</text>\n";
            for (std::size_t ri = 0; ri < references.size(); ++ri)  // labels alternate left / right
                if (const auto& r = references[ri]; std::isfinite(r.y) && (!logy || r.y > 0))
                    o << "<g class=\"reference\"><line x1=\"" << L << "\" y1=\"" << py(r.y) << "\" x2=\"" << L + W
                      << "\" y2=\"" << py(r.y) << "\" stroke=\"#777\" stroke-dasharray=\"2,3\"/><text x=\""
                      << (ri % 2 ? L + W - 4 : L + 4) << "\" y=\"" << py(r.y) - 3 << "\" text-anchor=\""
                      << (ri % 2 ? "end" : "start") << "\" font-size=\"9\" fill=\"#555\">" << html_escape(r.label)
                      << "</text></g>\n";
            std::size_t legend = 0;
            if (!frontier.empty())
            {
                std::vector<double> fx, fy;
                for (const auto& s : lines)
                    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
                        if (s.frontier && usable(s.x[i], s.y[i]))
                            fx.push_back(s.x[i]), fy.push_back(s.y[i]);
                const auto front = pareto_frontier(fx, fy, frontier == "min");
                std::ostringstream pts;
                for (std::size_t i : front)
                    pts << px(fx[i]) << "," << py(fy[i]) << " ";
                o << "<g class=\"frontier\" data-points=\"" << front.size() << "\"><polyline fill=\"none\" "
                  << "stroke=\"#f2c14e\" stroke-opacity=\"0.55\" stroke-width=\"9\" stroke-linejoin=\"round\" points=\""
                  << pts.str() << "\"/>";
                for (std::size_t i : front)
                    o << "<circle cx=\"" << px(fx[i]) << "\" cy=\"" << py(fy[i])
                      << "\" r=\"6\" fill=\"none\" stroke=\"#333\" stroke-width=\"1.2\"/>";
                const double ly = T + 8;
                o << "</g>\n<line x1=\"" << L + W + 10 << "\" y1=\"" << ly << "\" x2=\"" << L + W + 28 << "\" y2=\"" << ly
                  << "\" stroke=\"#f2c14e\" stroke-opacity=\"0.55\" stroke-width=\"9\"/><text x=\"" << L + W + 32
                  << "\" y=\"" << ly + 4 << "\">Pareto frontier</text>\n";
                ++legend;
            }
            for (std::size_t si = 0; si < lines.size(); ++si)
            {
                const auto& s = lines[si];
                const std::string c = s.color.empty() ? palette(si) : s.color;
                std::ostringstream pts;
                std::size_t count = 0;
                for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
                    if (usable(s.x[i], s.y[i]))
                    {
                        pts << px(s.x[i]) << "," << py(s.y[i]) << " ";
                        ++count;
                    }
                o << "<g class=\"series\" data-name=\"" << html_escape(s.name) << "\" data-points=\"" << count << "\">";
                o << "<polyline fill=\"none\" stroke=\"" << c << "\" stroke-width=\"1.8\""
                  << (s.dashed ? " stroke-dasharray=\"5,4\"" : "") << " points=\"" << pts.str() << "\"/>";
                for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)  // interval whiskers
                    if (i < s.y_low.size() && i < s.y_high.size() && usable(s.x[i], s.y_low[i]) &&
                        usable(s.x[i], s.y_high[i]))
                        o << "<line class=\"whisker\" x1=\"" << px(s.x[i]) << "\" y1=\"" << py(s.y_low[i]) << "\" x2=\""
                          << px(s.x[i]) << "\" y2=\"" << py(s.y_high[i]) << "\" stroke=\"" << c
                          << "\" stroke-width=\"1.2\"/>";
                if (s.markers)
                    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
                        if (usable(s.x[i], s.y[i]))
                        {
                            const std::string label = i < s.labels.size() ? s.labels[i] : "";
                            o << marker_svg(s.marker, px(s.x[i]), py(s.y[i]), 3, c) << "><title>" << html_escape(s.name)
                              << (label.empty() ? "" : " " + html_escape(label)) << ": " << fmt(s.x[i], 5) << ", "
                              << fmt(s.y[i], 5) << "</title></" << (s.marker == "square" ? "rect" : s.marker == "circle" ? "circle" : "polygon") << ">";
                            if (!label.empty())
                                o << "<text class=\"label\" x=\"" << px(s.x[i]) + 4 << "\" y=\"" << py(s.y[i]) - 4
                                  << "\" font-size=\"8\" fill=\"" << c << "\">" << html_escape(label) << "</text>";
                        }
                o << "</g>\n";
                const double ly = T + 8 + 16.0 * static_cast<double>(legend++);
                o << "<line x1=\"" << L + W + 10 << "\" y1=\"" << ly << "\" x2=\"" << L + W + 28 << "\" y2=\"" << ly
                  << "\" stroke=\"" << c << "\" stroke-width=\"2\"" << (s.dashed ? " stroke-dasharray=\"5,4\"" : "")
                  << "/>" << (s.markers ? marker_svg(s.marker, L + W + 19, ly, 3.5, c) + "/>" : std::string())
                  << "<text x=\"" << L + W + 32 << "\" y=\"" << ly + 4 << "\">" << html_escape(s.name) << "</text>\n";
            }
            o << "</svg>\n";
            return o.str();
        }
    };

    /// A heatmap of a square or rectangular matrix `values` (rows top to bottom) on a diverging
    /// scale over [lo, hi] (blue at lo, white at the midpoint, red at hi), with row and column
    /// labels and the value of each cell as a tooltip.
    struct heatmap
    {
        std::string title, id;
        std::vector<std::string> row_labels, col_labels;
        std::vector<std::vector<double>> values;
        double lo = 0.0, hi = 1.0;
        int cell = 18;

        std::string svg() const
        {
            const double L = 48, T = 34, B = 40;
            const std::size_t nr = values.size(), nc = nr ? values[0].size() : 0;
            const double c = cell, width = L + c * static_cast<double>(nc) + 90, height = T + c * static_cast<double>(nr) + B;
            std::ostringstream o;
            o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" id=\"" << html_escape(id) << "\" width=\""
              << width << "\" height=\"" << height << "\" font-family=\"sans-serif\" font-size=\"10\">\n";
            o << "<rect x=\"0\" y=\"0\" width=\"" << width << "\" height=\"" << height << "\" fill=\"white\"/>\n";
            o << "<text x=\"4\" y=\"20\" font-size=\"14\" font-weight=\"bold\">" << html_escape(title) << "</text>\n";
            auto color = [&](double v) {
                const double u = std::isfinite(v) ? std::clamp((2 * v - lo - hi) / (hi > lo ? hi - lo : 1.0), -1.0, 1.0) : 0.0;
                const int a = int(255 - 215 * std::abs(u));
                char buf[16];
                std::snprintf(buf, sizeof buf, "#%02x%02x%02x", u > 0 ? 255 : a, a, u > 0 ? a : 255);
                return std::string(buf);
            };
            const std::size_t step = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(12.0 / c)));
            for (std::size_t i = 0; i < nr; ++i)
            {
                const double y = T + c * static_cast<double>(i);
                if (i % step == 0 && i < row_labels.size())
                    o << "<text x=\"" << L - 4 << "\" y=\"" << y + c / 2 + 3 << "\" text-anchor=\"end\">"
                      << html_escape(row_labels[i]) << "</text>";
                for (std::size_t j = 0; j < nc && j < values[i].size(); ++j)
                    o << "<rect x=\"" << L + c * static_cast<double>(j) << "\" y=\"" << y << "\" width=\"" << c
                      << "\" height=\"" << c << "\" fill=\"" << color(values[i][j]) << "\"><title>"
                      << (i < row_labels.size() ? html_escape(row_labels[i]) : "") << ", "
                      << (j < col_labels.size() ? html_escape(col_labels[j]) : "") << ": " << fmt(values[i][j], 4)
                      << "</title></rect>";
                o << "\n";
            }
            for (std::size_t j = 0; j < nc && j < col_labels.size(); j += step)
                o << "<text x=\"" << L + c * (static_cast<double>(j) + 0.5) << "\" y=\"" << T + c * static_cast<double>(nr) + 12
                  << "\" text-anchor=\"middle\">" << html_escape(col_labels[j]) << "</text>";
            const double kx = L + c * static_cast<double>(nc) + 14, kh = std::max(60.0, c * static_cast<double>(nr));
            for (int k = 0; k < 20; ++k)
                o << "<rect x=\"" << kx << "\" y=\"" << T + kh * (19 - k) / 20 << "\" width=\"14\" height=\"" << kh / 20 + 0.5
                  << "\" fill=\"" << color(lo + (hi - lo) * (k + 0.5) / 20) << "\"/>";
            o << "<text x=\"" << kx + 18 << "\" y=\"" << T + 8 << "\">" << fmt(hi) << "</text><text x=\"" << kx + 18
              << "\" y=\"" << T + kh << "\">" << fmt(lo) << "</text>\n</svg>\n";
            return o.str();
        }
    };

    /// A self-contained HTML page: headings, paragraphs, tables and inline SVG plots.
    class html_page
    {
    public:
        explicit html_page(std::string title) : m_title(std::move(title)) {}
        void heading(const std::string& text) { m_body << "<h2>" << html_escape(text) << "</h2>\n"; }
        void paragraph(const std::string& text) { m_body << "<p>" << html_escape(text) << "</p>\n"; }
        void add(const plot& p) { m_body << "<figure>" << p.svg() << "</figure>\n"; }
        void add(const heatmap& h) { m_body << "<figure>" << h.svg() << "</figure>\n"; }
        void table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows)
        {
            m_body << "<table><tr>";
            for (const auto& h : header)
                m_body << "<th>" << html_escape(h) << "</th>";
            m_body << "</tr>\n";
            for (const auto& r : rows)
            {
                m_body << "<tr>";
                for (const auto& c : r)
                    m_body << "<td>" << html_escape(c) << "</td>";
                m_body << "</tr>\n";
            }
            m_body << "</table>\n";
        }
        std::string str() const
        {
            return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(m_title) +
                   "</title>\n<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}"
                   "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;"
                   "text-align:right}th{background:#f3f3f3}figure{display:inline-block;margin:8px}</style>"
                   "</head><body>\n<h1>" +
                   html_escape(m_title) + "</h1>\n" + m_body.str() + "</body></html>\n";
        }

    private:
        std::string m_title;
        std::ostringstream m_body;
    };
}  // namespace example
