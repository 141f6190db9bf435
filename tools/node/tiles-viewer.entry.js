// Entry of the vendored tiles viewer (assets/web/tiles-viewer/tiles-viewer.min.js): three.js and
// NASA-AMMOS 3d-tiles-renderer bundled by esbuild into one classic script (pages opened from
// file:// may not load modules). Built by `scripts/node-deps.sh --vendor`; the page logic is
// assets/web/tiles.js, which finds these classes on window.HeritageTilesViewer.
import {
  Box3, Color, PerspectiveCamera, Points, Scene, Sphere, Vector3, WebGLRenderer,
} from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { TilesRenderer } from '3d-tiles-renderer/three';

window.HeritageTilesViewer = {
  Box3, Color, PerspectiveCamera, Points, Scene, Sphere, Vector3, WebGLRenderer, OrbitControls, TilesRenderer,
};
