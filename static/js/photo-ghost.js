// Taking a clinical photo: the same view from the last session is shown
// faint over the preview of the chosen file (or over the live camera), so
// the angle can be matched. Without this file the form still uploads, and
// the last session's photos are shown beside it.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("photo-form");
  if (!form) return;
  const stage = document.getElementById("photo-stage");
  const viewSelect = document.getElementById("photo-view");
  const input = document.getElementById("photo-image");
  const preview = document.getElementById("photo-preview");
  const video = document.getElementById("photo-camera");
  const controls = document.getElementById("photo-camera-controls");
  const startButton = document.getElementById("photo-camera-start");
  const captureButton = document.getElementById("photo-capture");
  const stopButton = document.getElementById("photo-camera-stop");
  const status = document.getElementById("photo-camera-status");
  const ghosts = Array.from(form.querySelectorAll("[data-ghost-view]"));
  let previewUrl = null;
  let stream = null;

  stage.classList.add("photo-stage-live");

  function showGhost() {
    for (const figure of ghosts) {
      figure.hidden = figure.dataset.ghostView !== viewSelect.value;
    }
  }

  function showFile(file) {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = file ? URL.createObjectURL(file) : null;
    if (previewUrl) {
      preview.src = previewUrl;
      preview.hidden = false;
    } else {
      preview.removeAttribute("src");
      preview.hidden = true;
    }
  }

  function stopCamera() {
    if (stream) {
      for (const track of stream.getTracks()) track.stop();
    }
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    captureButton.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }

  async function startCamera() {
    status.textContent = "";
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" } },
        audio: false,
      });
    } catch (error) {
      status.textContent = status.dataset.denied;
      stream = null;
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    preview.hidden = true;
    await video.play().catch(() => {});
    startButton.hidden = true;
    captureButton.hidden = false;
    stopButton.hidden = false;
    captureButton.focus();
  }

  function capture() {
    if (!stream || !video.videoWidth) return;
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob((blob) => {
      if (!blob) return;
      const file = new File([blob], "camera.jpg", { type: "image/jpeg", lastModified: Date.now() });
      try {
        const transfer = new DataTransfer();
        transfer.items.add(file);
        input.files = transfer.files;
      } catch (error) {
        status.textContent = status.dataset.unsupported;
        return;
      }
      stopCamera();
      showFile(file);
    }, "image/jpeg", 0.92);
  }

  viewSelect.addEventListener("change", showGhost);
  input.addEventListener("change", () => {
    stopCamera();
    showFile(input.files && input.files[0]);
  });
  showGhost();
  if (input.files && input.files[0]) showFile(input.files[0]);

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.isSecureContext) {
    controls.hidden = false;
    startButton.addEventListener("click", startCamera);
    captureButton.addEventListener("click", capture);
    stopButton.addEventListener("click", stopCamera);
  }
  window.addEventListener("pagehide", stopCamera);
});
