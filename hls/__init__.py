"""HLS emission: templates, the C++ layer library, project writer, C simulation, estimates."""
