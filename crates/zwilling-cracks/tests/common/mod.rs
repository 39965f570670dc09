//! Helpers shared by the synthetic-survey tests: the camera and pose of a `zwilling synth` image.

use zwilling_core::TrajectoryPoint;
use zwilling_cracks::georef::Camera;
use zwilling_synth::ImagePose;

/// The vehicle pose and the camera model of one synthetic image (its ground sample distance
/// and size as rendered).
pub fn pose_and_camera(ip: &ImagePose) -> (TrajectoryPoint, Camera) {
    let camera = Camera::from_model(&ip.camera, Some(ip.gsd), Some(ip.width), Some(ip.height), None)
        .expect("synthetic images have a valid camera model");
    let pose = TrajectoryPoint {
        time: ip.time,
        x: ip.x,
        y: ip.y,
        z: ip.z,
        heading: ip.heading,
        pitch: ip.pitch,
        roll: ip.roll,
    };
    (pose, camera)
}
