import assert from "node:assert/strict";
import { faceId, parseFaceFileName } from "../../lib/data/face_file_name.ts";

Deno.test("LFW file names give the person and image number", () => {
  assert.deepEqual(parseFaceFileName("George_W_Bush_0010.jpg"), {
    person: "George_W_Bush",
    number: 10,
  });
  assert.deepEqual(parseFaceFileName("AJ_Cook_0001.pgm"), { person: "AJ_Cook", number: 1 });
  assert.deepEqual(parseFaceFileName("Abdel_Aziz_Al-Hakim_0001.JPG"), {
    person: "Abdel_Aziz_Al-Hakim",
    number: 1,
  });
  for (const bad of ["holiday.jpg", "Name_1.jpg", "Name_00001.jpg", "Name_0001.gif", "_0001.jpg"]) {
    assert.equal(parseFaceFileName(bad), undefined, bad);
  }
  assert.equal(faceId("AJ_Cook", 7), "AJ_Cook_0007");
});
