/**
 * Drawn faces that the face detector finds (a cartoon with skin, hair, eyes, brows, nose and
 * mouth), placed, scaled and rotated in a canvas of any size, and images without a face
 * (blank, noise, a landscape): the inputs of the detection and alignment tests.
 * @module
 */
import sharp from "sharp";
import { facelessPhotos } from "../../lib/bench/robustness.ts";

/** Where a drawn face goes: its LFW-like 250x250 frame's centre, scale and rotation. */
export interface FacePlacement {
  /** Centre of the face's 250x250 frame in the canvas (default: the canvas's centre). */
  x?: number;
  y?: number;
  /** Scale of the frame (1: the face as in a 250x250 LFW image, about 105 px wide). */
  scale?: number;
  /** Clockwise rotation in degrees. */
  rotation?: number;
  /** Skin and hair tints, so that two drawn people differ. */
  skin?: [string, string];
  hair?: string;
}

/** The face's SVG elements in its 250x250 frame. */
function faceElements(id: string, p: FacePlacement): string {
  const [light, dark] = p.skin ?? ["#f1c9a5", "#c58c63"];
  const hair = p.hair ?? "#3b2a1e";
  return `<defs><radialGradient id="skin${id}" cx="50%" cy="42%" r="62%"><stop offset="0%" stop-color="${light}"/><stop offset="70%" stop-color="${light}"/><stop offset="100%" stop-color="${dark}"/></radialGradient>
<radialGradient id="eye${id}" cx="50%" cy="50%" r="50%"><stop offset="0%" stop-color="#1a0f08"/><stop offset="55%" stop-color="#5a3b22"/><stop offset="100%" stop-color="#2a1a0e"/></radialGradient></defs>
<ellipse cx="125" cy="98" rx="64" ry="60" fill="${hair}"/>
<rect x="97" y="172" width="56" height="60" fill="${dark}"/>
<ellipse cx="125" cy="236" rx="105" ry="42" fill="#2d3e5a"/>
<ellipse cx="72" cy="130" rx="9" ry="17" fill="${dark}"/><ellipse cx="178" cy="130" rx="9" ry="17" fill="${dark}"/>
<ellipse cx="125" cy="132" rx="53" ry="67" fill="url(#skin${id})"/>
<path d="M75 105 Q125 62 175 105 Q160 80 125 76 Q90 80 75 105 Z" fill="${hair}"/>
<ellipse cx="103" cy="121" rx="12" ry="6.5" fill="#f4f0ea"/><ellipse cx="147" cy="121" rx="12" ry="6.5" fill="#f4f0ea"/>
<circle cx="103" cy="121" r="5.5" fill="url(#eye${id})"/><circle cx="147" cy="121" r="5.5" fill="url(#eye${id})"/>
<path d="M90 118 Q103 110 116 118" stroke="#6b4a35" stroke-width="2" fill="none"/>
<path d="M134 118 Q147 110 160 118" stroke="#6b4a35" stroke-width="2" fill="none"/>
<path d="M87 108 Q103 99 118 105" stroke="${hair}" stroke-width="5" fill="none" stroke-linecap="round"/>
<path d="M132 105 Q147 99 163 108" stroke="${hair}" stroke-width="5" fill="none" stroke-linecap="round"/>
<path d="M121 124 Q119 140 115 148" stroke="${dark}" stroke-width="2.5" fill="none" opacity="0.7"/>
<ellipse cx="118" cy="149" rx="4" ry="2.5" fill="#6b3f2a"/><ellipse cx="132" cy="149" rx="4" ry="2.5" fill="#6b3f2a"/>
<path d="M112 146 Q125 156 138 146" stroke="${dark}" stroke-width="2" fill="none" opacity="0.8"/>
<path d="M105 166 Q115 161 125 163 Q135 161 145 166 Q125 170 105 166 Z" fill="#a54a4a"/>
<path d="M105 166 Q125 180 145 166 Q125 172 105 166 Z" fill="#b85c5c"/>
<path d="M84 160 Q95 190 125 198 Q155 190 166 160" stroke="${dark}" stroke-width="3" fill="none" opacity="0.35"/>`;
}

/**
 * A PNG (or JPEG) of `width` x `height` on a blue-grey background with drawn faces at
 * `faces` (default: one face, LFW-framed when the canvas is 250x250).
 */
export async function drawnFaces(
  path: string,
  size: { width: number; height: number },
  faces: FacePlacement[] = [{}],
  options: { jpegQuality?: number; background?: string } = {},
): Promise<string> {
  const groups = faces.map((p, i) => {
    const x = p.x ?? size.width / 2, y = p.y ?? size.height / 2;
    const s = p.scale ?? 1, r = p.rotation ?? 0;
    return `<g transform="translate(${x} ${y}) rotate(${r}) scale(${s}) translate(-125 -125)">${
      faceElements(String(i), p)
    }</g>`;
  });
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size.width}" height="${size.height}">
<rect width="${size.width}" height="${size.height}" fill="${options.background ?? "#7a8fa6"}"/>
${groups.join("\n")}</svg>`;
  // A slight blur: photos have no razor-sharp edges.
  const image = sharp(new TextEncoder().encode(svg)).blur(0.8);
  await (options.jpegQuality ? image.jpeg({ quality: options.jpegQuality }) : image.png()).toFile(
    path,
  );
  return path;
}

/** Images without a face (the robustness benchmark's): a blank grey PNG, noise, a landscape. */
export async function facelessImages(dir: string): Promise<Record<string, string>> {
  const photos = await facelessPhotos();
  const files = {
    blank: `${dir}/blank.png`,
    noise: `${dir}/noise.png`,
    landscape: `${dir}/landscape.jpg`,
  };
  for (const [name, path] of Object.entries(files)) {
    await Deno.writeFile(path, photos[name as keyof typeof photos]);
  }
  return files;
}
