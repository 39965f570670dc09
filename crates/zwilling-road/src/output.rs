//! Output layers of the road survey: `sections`, `potholes`, `profiles_long`, `trajectory`.
//!
//! Plain [`Layer`]s for the GeoPackage writer, in the CRS of the input (EPSG:25832 for the NRW
//! workflow). Measures that could not be computed are NULL, never 0. [`regrade`] recomputes the
//! condition values of a `sections` layer with another preset from its stored measures, which is
//! what `zwilling road reevaluate` does without touching the point clouds.

use crate::grades::{class, grade, GradeInputs, Grades};
use crate::potholes::Pothole;
use crate::preset::{Construction, FunctionClass, Preset};
use crate::sections::EvalSection;
use crate::survey::SurveyResult;
use zwilling_core::{CrsInfo, Error, Feature, FieldType, Geometry, Layer, Polygon, Result, Value};

/// Measure columns of the `sections` layer (after id, stationing and FK/BW).
pub const MEASURE_FIELDS: [&str; 14] = [
    "iri_l", "iri_r", "iri", "sm4l_m", "sm4l_a", "mspt", "sptmax", "msph", "qn", "ln", "riss", "afli", "ofs",
    "coverage",
];

/// Grade columns of the `sections` layer.
pub const GRADE_FIELDS: [&str; 11] =
    ["zw_sm4l_m", "zw_sm4l_a", "zw_sm4l", "zw_mspt", "zw_msph", "zw_riss", "zw_afli", "zw_ofs", "twgeb", "twsub", "gw"];

/// Class columns of the `sections` layer.
pub const CLASS_FIELDS: [&str; 3] = ["class_twgeb", "class_twsub", "class_gw"];

fn section_fields() -> Vec<(String, FieldType)> {
    let mut f: Vec<(String, FieldType)> = vec![
        ("section".into(), FieldType::Int),
        ("km_from".into(), FieldType::Real),
        ("km_to".into(), FieldType::Real),
        ("length_m".into(), FieldType::Real),
        ("area_id".into(), FieldType::Text),
        ("fk".into(), FieldType::Text),
        ("bw".into(), FieldType::Text),
    ];
    f.extend(MEASURE_FIELDS.iter().chain(&GRADE_FIELDS).map(|n| (n.to_string(), FieldType::Real)));
    f.extend(CLASS_FIELDS.iter().map(|n| (n.to_string(), FieldType::Int)));
    f.push(("preset".into(), FieldType::Text));
    f
}

fn grade_values(g: &Grades) -> Vec<Value> {
    [g.zw_sm4l_m, g.zw_sm4l_a, g.zw_sm4l, g.zw_rut, g.zw_water, g.zw_riss, g.zw_afli, g.zw_ofs, g.twgeb, g.twsub, g.gw]
        .into_iter()
        .map(Value::real_or_null)
        .chain(
            [g.twgeb, g.twsub, g.gw].into_iter().map(|v| if v.is_nan() { Value::Null } else { Value::Int(class(v)) }),
        )
        .collect()
}

/// The `sections` layer: lane footprint polygons with all measures, grades and classes.
pub fn sections_layer(
    res: &SurveyResult,
    sections: &[EvalSection],
    lane_width: f64,
    preset: &Preset,
    crs: &CrsInfo,
) -> Layer {
    let mut layer = Layer::new("sections", crs.clone(), section_fields());
    let half = lane_width / 2.0;
    for (k, s) in sections.iter().enumerate() {
        let n = ((s.end - s.start) / 1.0).ceil().max(1.0) as usize;
        let at = |i: usize| s.start + (s.end - s.start) * i as f64 / n as f64;
        let mut ring: Vec<[f64; 2]> = (0..=n).map(|i| res.alignment.point(at(i), -half)).collect();
        ring.extend((0..=n).rev().map(|i| res.alignment.point(at(i), half)));
        let m = &s.measures;
        let mut values = vec![
            Value::Int(k as i64 + 1),
            Value::Real(s.start / 1000.0),
            Value::Real(s.end / 1000.0),
            Value::Real(s.end - s.start),
            s.area.clone().map_or(Value::Null, Value::Text),
            Value::Text(s.fk.as_str().into()),
            Value::Text(s.bw.as_str().into()),
        ];
        values.extend(
            [
                m.iri_left,
                m.iri_right,
                m.iri,
                m.sm4l_m,
                m.sm4l_a,
                m.mspt,
                m.sptmax,
                m.msph,
                m.qn,
                m.ln,
                m.riss,
                m.afli,
                m.ofs,
            ]
            .into_iter()
            .map(Value::real_or_null),
        );
        values.push(Value::Real(m.coverage));
        values.extend(grade_values(&s.grades));
        values.push(Value::Text(format!("{} v{}", preset.name, preset.version)));
        layer.features.push(Feature { geometry: Geometry::Polygon(Polygon::new(ring)), values });
    }
    layer
}

/// Re-grades a `sections` layer in place with `preset` from its stored measures and FK/BW.
pub fn regrade(layer: &mut Layer, preset: &Preset) -> Result<()> {
    let col = |name: &str| {
        layer.field_index(name).ok_or_else(|| Error::invalid(format!("layer {}: column {name} missing", layer.name)))
    };
    let inputs = ["mspt", "msph", "sm4l_m", "sm4l_a", "riss", "afli", "ofs"].map(col);
    let inputs: Vec<usize> = inputs.into_iter().collect::<Result<_>>()?;
    let (fk_col, bw_col, preset_col) = (col("fk")?, col("bw")?, col("preset")?);
    let outs: Vec<usize> = GRADE_FIELDS.iter().chain(&CLASS_FIELDS).map(|n| col(n)).collect::<Result<_>>()?;
    for (i, f) in layer.features.iter_mut().enumerate() {
        let v = |c: usize| f.values[c].as_f64();
        let m = GradeInputs {
            mspt: v(inputs[0]),
            msph: v(inputs[1]),
            sm4l_m: v(inputs[2]),
            sm4l_a: v(inputs[3]),
            riss: v(inputs[4]),
            afli: v(inputs[5]),
            ofs: v(inputs[6]),
        };
        let fk = f.values[fk_col].as_str().and_then(FunctionClass::parse);
        let bw = f.values[bw_col].as_str().and_then(Construction::parse);
        let (Some(fk), Some(bw)) = (fk, bw) else {
            return Err(Error::invalid(format!("sections feature {}: fk/bw must be A|B|N and A|P", i + 1)));
        };
        for (c, val) in outs.iter().zip(grade_values(&grade(&m, fk, bw, preset))) {
            f.values[*c] = val;
        }
        f.values[preset_col] = Value::Text(format!("{} v{}", preset.name, preset.version));
    }
    Ok(())
}

/// The `potholes` layer: outline polygons with depths (mm), area (m²), volume (m³), severity.
pub fn potholes_layer(res: &SurveyResult, potholes: &[Pothole], crs: &CrsInfo) -> Layer {
    let fields = [
        ("pothole", FieldType::Int),
        ("km", FieldType::Real),
        ("offset_m", FieldType::Real),
        ("max_depth_mm", FieldType::Real),
        ("mean_depth_mm", FieldType::Real),
        ("area_m2", FieldType::Real),
        ("volume_m3", FieldType::Real),
        ("length_m", FieldType::Real),
        ("width_m", FieldType::Real),
        ("severity", FieldType::Int),
    ];
    let mut layer = Layer::new("potholes", crs.clone(), fields.iter().map(|(n, t)| (n.to_string(), *t)).collect());
    for (k, p) in potholes.iter().enumerate() {
        let ring = p.outline.iter().map(|q| res.alignment.point(q[0], q[1])).collect();
        layer.features.push(Feature {
            geometry: Geometry::Polygon(Polygon::new(ring)),
            values: vec![
                Value::Int(k as i64 + 1),
                Value::Real(p.centroid[0] / 1000.0),
                Value::Real(p.centroid[1]),
                Value::Real(p.max_depth * 1000.0),
                Value::Real(p.mean_depth * 1000.0),
                Value::Real(p.area),
                Value::Real(p.volume),
                Value::Real(p.length),
                Value::Real(p.width),
                Value::Int(p.severity()),
            ],
        });
    }
    layer
}

/// The `profiles_long` layer: 3D line strings of both wheel paths, one per evaluation section.
pub fn profiles_layer(res: &SurveyResult, sections: &[EvalSection], wheel_offset: f64, crs: &CrsInfo) -> Layer {
    let fields = vec![
        ("side".to_string(), FieldType::Text),
        ("km_from".into(), FieldType::Real),
        ("km_to".into(), FieldType::Real),
    ];
    let mut layer = Layer::new("profiles_long", crs.clone(), fields);
    for s in sections {
        for (k, (side, o)) in [("left", -wheel_offset), ("right", wheel_offset)].into_iter().enumerate() {
            let p = &res.profiles[k];
            let i0 = ((s.start - p.start) / p.dx).round().max(0.0) as usize;
            let i1 = (((s.end - p.start) / p.dx).round().max(0.0) as usize).min(p.len());
            let line: Vec<[f64; 3]> = (i0..i1)
                .filter(|&i| p.z[i].is_finite())
                .map(|i| {
                    let xy = res.alignment.point(p.station(i), o);
                    [xy[0], xy[1], p.z[i]]
                })
                .collect();
            if line.len() >= 2 {
                layer.features.push(Feature {
                    geometry: Geometry::LineString(line),
                    values: vec![Value::Text(side.into()), Value::Real(s.start / 1000.0), Value::Real(s.end / 1000.0)],
                });
            }
        }
    }
    layer
}

/// The `trajectory` layer: the stationed lane centre line (3D, trajectory height).
pub fn trajectory_layer(res: &SurveyResult, crs: &CrsInfo) -> Layer {
    let a = &res.alignment;
    let line = a.xy.iter().zip(&a.z).map(|(p, z)| [p[0], p[1], *z]).collect();
    let mut layer = Layer::new("trajectory", crs.clone(), vec![("length_m".into(), FieldType::Real)]);
    layer.features.push(Feature { geometry: Geometry::LineString(line), values: vec![Value::Real(a.length())] });
    layer
}

/// All four layers of a road survey, in the order sections, potholes, profiles_long, trajectory.
pub fn road_layers(
    res: &SurveyResult,
    sections: &[EvalSection],
    cfg: &crate::survey::RoadConfig,
    preset: &Preset,
    crs: &CrsInfo,
) -> Vec<Layer> {
    vec![
        sections_layer(res, sections, cfg.lane_width, preset, crs),
        potholes_layer(res, &res.potholes, crs),
        profiles_layer(res, sections, cfg.wheel_path_offset, crs),
        trajectory_layer(res, crs),
    ]
}
