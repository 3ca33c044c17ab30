import Foundation

/// A line chart as SVG: axes with ticks and labels, one polyline and legend entry per series.
struct Chart {
    /// One axis: its range, linear or logarithmic.
    struct Axis {
        var low: Double
        var high: Double
        var log = false

        /// Where `value` falls, from 0 (low) to 1 (high), clamped.
        func position(_ value: Double) -> Double {
            let (a, b, v) = log ? (Foundation.log10(low), Foundation.log10(high), Foundation.log10(max(value, low))) : (low, high, value)
            guard b > a else { return 0 }
            return min(1, max(0, (v - a) / (b - a)))
        }

        /// About five round values to mark on the axis.
        var ticks: [Double] {
            if log {
                let first = Int(Foundation.log10(low).rounded(.down))
                let last = Int(Foundation.log10(high).rounded(.up))
                return (first...max(first, last)).map { pow(10, Double($0)) }.filter { $0 >= low * 0.999 && $0 <= high * 1.001 }
            }
            let raw = (high - low) / 5
            guard raw > 0 else { return [low] }
            let magnitude = pow(10, Foundation.log10(raw).rounded(.down))
            let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
            return stride(from: (low / step).rounded(.up) * step, through: high, by: step).map { $0 }
        }
    }

    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    static let (width, height, left, right, top, bottom) = (720.0, 300.0, 60.0, 20.0, 20.0, 40.0)

    let xLabel: String
    let yLabel: String
    let x: Axis
    let y: Axis
    private var series: [(name: String, points: [(Double, Double)])] = []

    init(xLabel: String, yLabel: String, x: Axis, y: Axis) {
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.x = x
        self.y = y
    }

    mutating func add(_ name: String, _ points: [(Double, Double)]) {
        series.append((name, points))
    }

    private func px(_ value: Double) -> Double { Self.left + x.position(value) * (Self.width - Self.left - Self.right) }
    private func py(_ value: Double) -> Double { Self.height - Self.bottom - y.position(value) * (Self.height - Self.top - Self.bottom) }

    private static func label(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e12 { return String(Int64(value)) }
        return value >= 1 ? String(format: "%.1f", value) : String(format: "%.2g", value)
    }

    var svg: String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(Self.width))\" height=\"\(Int(Self.height))\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\">\n"
        let (x0, x1, y0, y1) = (Self.left, Self.width - Self.right, Self.top, Self.height - Self.bottom)
        out += "<rect x=\"\(x0)\" y=\"\(y0)\" width=\"\(x1 - x0)\" height=\"\(y1 - y0)\" fill=\"none\" stroke=\"#999\"/>\n"
        for tick in x.ticks {
            out += "<line x1=\"\(px(tick))\" y1=\"\(y1)\" x2=\"\(px(tick))\" y2=\"\(y0)\" stroke=\"#eee\"/><text x=\"\(px(tick))\" y=\"\(y1 + 14)\" text-anchor=\"middle\">\(Self.label(tick))</text>\n"
        }
        for tick in y.ticks {
            out += "<line x1=\"\(x0)\" y1=\"\(py(tick))\" x2=\"\(x1)\" y2=\"\(py(tick))\" stroke=\"#eee\"/><text x=\"\(x0 - 6)\" y=\"\(py(tick) + 4)\" text-anchor=\"end\">\(Self.label(tick))</text>\n"
        }
        out += "<text x=\"\((x0 + x1) / 2)\" y=\"\(Self.height - 6)\" text-anchor=\"middle\">\(xLabel)</text>\n"
        out += "<text x=\"14\" y=\"\((y0 + y1) / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 14 \((y0 + y1) / 2))\">\(yLabel)</text>\n"
        for (index, item) in series.enumerated() {
            let color = Self.colors[index % Self.colors.count]
            let points = item.points.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
            out += "<polyline class=\"series\" data-name=\"\(item.name)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(points)\"/>\n"
            out += "<rect x=\"\(x0 + 10)\" y=\"\(y0 + 8 + Double(index) * 16)\" width=\"10\" height=\"10\" fill=\"\(color)\"/><text x=\"\(x0 + 26)\" y=\"\(y0 + 17 + Double(index) * 16)\">\(item.name)</text>\n"
        }
        return out + "</svg>"
    }
}
