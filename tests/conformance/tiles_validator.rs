//! Conformance: GLBs and a tileset from the encoders pass the Khronos glTF validator and the
//! tileset structure checks of `../shared/tools/validate-3dtiles`.

use zwilling_core::testdata::shared_path;
use zwilling_tiles::glb::{encode_mesh, encode_points, MeshContent, PointContent};
use zwilling_tiles::tileset::{TileNode, Tileset};
use zwilling_tiles::LocalFrame;

#[test]
fn encoded_tiles_pass_the_validators() {
    let dir = tempfile::tempdir().unwrap();
    let n = 1000;
    let positions: Vec<[f32; 3]> =
        (0..n).map(|i| [(i % 10) as f32, (i / 10 % 10) as f32, (i / 100) as f32 * 0.1]).collect();
    let points = PointContent {
        centre: [5.0, 5.0, 0.5],
        colors: (0..n).map(|i| [(i % 256) as u8, 100, 50, 255]).collect(),
        intensity: (0..n).map(|i| (i * 60) as u16).collect(),
        classification: (0..n).map(|i| if i % 3 == 0 { 6 } else { 2 }).collect(),
        positions,
    };
    std::fs::write(dir.path().join("p.glb"), encode_points(&points)).unwrap();
    let mesh = MeshContent {
        centre: [0.0, 0.0, 0.0],
        positions: vec![[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [10.0, 10.0, 1.0]],
        normals: vec![[0.0, 0.0, 1.0]; 4],
        colors: vec![[0, 0, 255, 255]; 4],
        indices: vec![0, 1, 2, 2, 1, 3],
    };
    std::fs::write(dir.path().join("m.glb"), encode_mesh(&mesh)).unwrap();
    let leaf =
        |uri: &str, min, max| TileNode { min, max, geometric_error: 0.5, content: Some(uri.into()), children: vec![] };
    let mut root = TileNode {
        min: [0.0; 3],
        max: [10.0, 10.0, 1.0],
        geometric_error: 1.0,
        content: None,
        children: vec![
            leaf("p.glb", [0.0, 0.0, 0.0], [9.0, 9.0, 1.0]),
            leaf("m.glb", [0.0, 0.0, 0.0], [10.0, 10.0, 1.0]),
        ],
    };
    root.enclose_children();
    let frame = LocalFrame::from_ecef([4_000_000.0, 500_000.0, 4_900_000.0]);
    let ts = Tileset { root, transform: frame.transform(), refine: "ADD", extras: serde_json::json!({}) };
    std::fs::write(dir.path().join("tileset.json"), ts.to_json()).unwrap();
    let out = std::process::Command::new(shared_path("tools/validate-3dtiles")).arg(dir.path()).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "validate-3dtiles failed:\n{text}");
}
