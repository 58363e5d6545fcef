#pragma once
// G.711 (ITU-T, 11/1988) µ-law and A-law: bit exact with the ITU reference (the G.191
// software tools' compress/expand on 16-bit samples), plus the direct µ-law <-> A-law
// conversion of G.711 Tables 3 and 4. Pure table lookups: no allocation, safe on any thread.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace sb::media {

/// The two G.711 laws.
enum class Codec : std::uint8_t { kPcmu, kPcma };

/// 16-bit linear sample to a µ-law code (transmitted form, all bits inverted). The 14 most
/// significant bits are used; negatives round as the ITU reference (one's complement).
std::uint8_t linearToUlaw(std::int16_t s);
/// µ-law code to its 16-bit linear value: -32124..32124; both zero codes (0xFF, 0x7F) give 0.
std::int16_t ulawToLinear(std::uint8_t u);
/// 16-bit linear sample to an A-law code (even bits inverted, XOR 0x55); 13 bits are used.
std::uint8_t linearToAlaw(std::int16_t s);
/// A-law code to its 16-bit linear value: -32256..32256, never 0 (0xD5 is +8, 0x55 is -8).
std::int16_t alawToLinear(std::uint8_t a);

/// Decodes in.size() bytes into out (out.size() >= in.size()).
void decode(Codec c, std::span<const std::uint8_t> in, std::span<std::int16_t> out);
/// Encodes in.size() samples into out (out.size() >= in.size()).
void encode(Codec c, std::span<const std::int16_t> in, std::span<std::uint8_t> out);
/// Direct µ-law<->A-law (table, G.711 Tables 3/4 style) for relaying between legs with
/// different codecs; in-place allowed (in.data()==out.data()). from == to copies.
void transcode(Codec from, Codec to, std::span<const std::uint8_t> in, std::span<std::uint8_t> out);
/// One code through G.711 Table 3 (µ-law to A-law).
std::uint8_t ulawToAlaw(std::uint8_t u);
/// One code through G.711 Table 4 (A-law to µ-law).
std::uint8_t alawToUlaw(std::uint8_t a);

/// Static RTP payload type (0 / 8) and the SDP encoding name ("PCMU"/"PCMA"); codecFromName
/// case-insensitive, nullopt for others.
std::uint8_t payloadType(Codec c);
/// "PCMU" or "PCMA", the SDP encoding name (RFC 3551 §4.5.14).
std::string_view codecName(Codec c);
/// kPcmu for "PCMU", kPcma for "PCMA" in any case; nullopt for other names.
std::optional<Codec> codecFromName(std::string_view name);
/// kPcmu for payload type 0, kPcma for 8; nullopt for others.
std::optional<Codec> codecFromPayloadType(std::uint8_t pt);

/// The silence byte of the codec (0xFF µ-law, 0xD5 A-law).
std::uint8_t silenceByte(Codec c);

}  // namespace sb::media
