//! GeoPackage writer → reader round trips, the 1.4 header values and R-tree triggers, layer
//! replacement and atomicity. GDAL's validator and ogrinfo check the same file in the conformance
//! suite (`tests/conformance/gpkg_validator.rs` at the workspace root).

use rusqlite::Connection;
use zwilling_core::{CrsInfo, Feature, FieldType, Geometry, Layer, Value};
use zwilling_io::gpkg::*;

#[path = "fixtures/gpkg_scene.rs"]
mod gpkg_scene;
use gpkg_scene::{square, write};

#[test]
fn layers_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("road.gpkg");
    let written = write(&p);
    assert_eq!(list_layers(&p).unwrap(), vec!["potholes", "profiles_long", "sections"]);
    for l in &written {
        let back = read_layer(&p, &l.name).unwrap();
        assert_eq!(back.fields, l.fields);
        assert_eq!(back.crs.epsg, Some(25832));
        assert!(back.crs.wkt.as_deref().unwrap().contains("UTM zone 32N"));
        assert_eq!(back.features.len(), l.features.len());
        for (a, b) in back.features.iter().zip(&l.features) {
            assert_eq!(a.values, b.values);
            let want = match (&b.geometry, l.name.as_str()) {
                (Geometry::Polygon(p), "sections") => Geometry::MultiPolygon(vec![p.clone()]),
                (g, _) => g.clone(),
            };
            assert_eq!(a.geometry, want);
        }
    }
    let e = read_layer(&p, "nope").unwrap_err().to_string();
    assert!(e.contains("road.gpkg") && e.contains("potholes"), "{e}");
}

#[test]
fn header_srs_and_rtree_follow_geopackage_1_4() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("g.gpkg");
    write(&p);
    let bytes = std::fs::read(&p).unwrap();
    // SQLite header: user_version at offset 60, application_id at 68, both big endian (GPKG 1.4 §1.1.1).
    assert_eq!(&bytes[68..72], b"GPKG");
    assert_eq!(u32::from_be_bytes(bytes[60..64].try_into().unwrap()), 10400);
    let c = Connection::open(&p).unwrap();
    register_spatial_functions(&c).unwrap();
    let ids: Vec<i64> = c
        .prepare("SELECT srs_id FROM gpkg_spatial_ref_sys ORDER BY srs_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(ids, vec![-1, 0, 4326, 25832]);
    let trig: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='sections' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let want: Vec<String> = ["delete", "insert", "update2", "update4", "update5", "update6", "update7"]
        .iter()
        .map(|s| format!("rtree_sections_geom_{s}"))
        .collect();
    assert_eq!(trig, want);
    // Contents bounds = union of the geometries (the multipolygon reaches down to 0,0).
    let b: (f64, f64, f64, f64) = c
        .query_row("SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name='sections'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!(b, (0.0, 0.0, 362_120.0, 5_620_210.0));
    let e: (f64, f64, f64, f64) = c
        .query_row("SELECT minx, maxx, miny, maxy FROM rtree_sections_geom WHERE id = 2", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!(e, (362_010.0, 362_020.0, 5_620_200.0, 5_620_210.0));
    // Triggers keep the index current: move feature 2 (update6), delete feature 3, insert one.
    let moved = encode_geometry(&Geometry::MultiPolygon(vec![square(100.0, 200.0, 2.0)]), 25832, false);
    c.execute("UPDATE sections SET geom = ?1 WHERE fid = 2", [&moved]).unwrap();
    c.execute("DELETE FROM sections WHERE fid = 3", []).unwrap();
    c.execute("INSERT INTO sections (geom, gw, class) VALUES (?1, 2.0, 2)", [&moved]).unwrap();
    let e: (f64, f64) = c
        .query_row("SELECT minx, maxy FROM rtree_sections_geom WHERE id = 2", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(e, (100.0, 202.0));
    let n: i64 = c.query_row("SELECT count(*) FROM rtree_sections_geom", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 12);
    let styles: i64 =
        c.query_row("SELECT count(*) FROM layer_styles WHERE useAsDefault = 1", [], |r| r.get(0)).unwrap();
    assert_eq!(styles, 2);
}

#[test]
fn replace_layer_keeps_the_others_and_drops_are_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.gpkg");
    let written = write(&p);
    let mut sections = read_layer(&p, "sections").unwrap();
    for f in &mut sections.features {
        f.values[1] = Value::Int(4);
    }
    let mut w = GpkgWriter::update(&p).unwrap();
    w.replace_layer(&sections, &LayerOptions::for_layer(&sections)).unwrap();
    w.finish().unwrap();
    assert!(read_layer(&p, "sections").unwrap().features.iter().all(|f| f.values[1] == Value::Int(4)));
    assert_eq!(read_layer(&p, "potholes").unwrap().features.len(), written[0].features.len());
    // A writer dropped without finish leaves neither a file nor a temporary.
    let q = dir.path().join("never.gpkg");
    {
        let mut w = GpkgWriter::create(&q).unwrap();
        w.add_layer(&written[0], &LayerOptions::default()).unwrap();
        assert!(w.add_layer(&written[0], &LayerOptions::default()).unwrap_err().to_string().contains("exists"));
    }
    assert!(!q.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let mut bad = written[2].clone();
    bad.fields.push(("fid".into(), FieldType::Int));
    let mut w = GpkgWriter::create(&q).unwrap();
    assert!(w.add_layer(&bad, &LayerOptions::default()).unwrap_err().to_string().contains("reserved"));
    let e = GpkgReader::open(&dir.path().join("none.gpkg")).err().unwrap().to_string();
    assert!(e.contains("none.gpkg"));
}

#[test]
fn many_features_in_one_transaction() {
    // 100 000 points: counts and bounds must come back exactly (timing is reported, not asserted).
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("many.gpkg");
    let mut l = Layer::new("pts", CrsInfo::from_epsg(25832), vec![("v".into(), FieldType::Real)]);
    for i in 0..100_000 {
        l.features.push(Feature {
            geometry: Geometry::Point([(i % 1000) as f64, (i / 1000) as f64, f64::NAN]),
            values: vec![Value::Real(i as f64)],
        });
    }
    let t = std::time::Instant::now();
    let mut w = GpkgWriter::create(&p).unwrap();
    w.add_layer(&l, &LayerOptions::default()).unwrap();
    w.finish().unwrap();
    eprintln!("wrote 100 000 points in {:.2} s", t.elapsed().as_secs_f64());
    let back = read_layer(&p, "pts").unwrap();
    assert_eq!(back.features.len(), 100_000);
    assert_eq!(back.features[99_999].values[0], Value::Real(99_999.0));
}
