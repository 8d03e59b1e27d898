// Replaced by the container at start-up with its environment's settings (nginx/config.js.template).
// Development reads the VITE_ variables instead.
window.__APP_CONFIG__ = {};
