#include "S3XmlResponses.h"

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/Node.h>
#include <Poco/DOM/NodeList.h>
#include <Poco/DateTime.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/SAX/XMLReader.h>

#include <cstdlib>

namespace tributary::storage::s3 {

namespace {

using Poco::XML::Element;
using Poco::XML::Node;

// S3 answers in the http://s3.amazonaws.com/doc/2006-03-01/ namespace; compare local names.
std::string localName(const Node* node) {
  std::string name = node->localName();
  if (name.empty()) name = node->nodeName();
  const auto colon = name.find(':');
  return colon == std::string::npos ? name : name.substr(colon + 1);
}

// Some servers (Swift's s3api among them) send blanks before the XML declaration to keep a
// slow CompleteMultipartUpload alive; a declaration must be at the very start, so drop them.
std::string_view withoutLeadingBlanks(std::string_view body) {
  size_t start = 0;
  while (start < body.size() &&
         (body[start] == ' ' || body[start] == '\n' || body[start] == '\r' || body[start] == '\t'))
    ++start;
  return body.substr(start);
}

Result<Poco::AutoPtr<Poco::XML::Document>> parseDocument(std::string_view body,
                                                         const char* what) {
  const std::string_view text = withoutLeadingBlanks(body);
  if (text.empty()) return unavailableError(std::string(what) + ": empty response body");
  try {
    Poco::XML::DOMParser parser;
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
    parser.setFeature(Poco::XML::DOMParser::FEATURE_FILTER_WHITESPACE, true);
    Poco::AutoPtr<Poco::XML::Document> document =
        parser.parseMemory(text.data(), text.size());
    if (document->documentElement() == nullptr)
      return unavailableError(std::string(what) + ": no root element");
    return document;
  } catch (const Poco::Exception& e) {
    return unavailableError(std::string(what) + ": not XML (" + e.displayText() + ")");
  }
}

// The concatenated text of `element`.
std::string textOf(const Node* element) { return element->innerText(); }

// Direct children of `parent` named `name`.
std::vector<const Node*> children(const Node* parent, std::string_view name) {
  std::vector<const Node*> found;
  for (const Node* child = parent->firstChild(); child != nullptr; child = child->nextSibling()) {
    if (child->nodeType() == Node::ELEMENT_NODE && localName(child) == name) found.push_back(child);
  }
  return found;
}

const Node* child(const Node* parent, std::string_view name) {
  for (const Node* c = parent->firstChild(); c != nullptr; c = c->nextSibling()) {
    if (c->nodeType() == Node::ELEMENT_NODE && localName(c) == name) return c;
  }
  return nullptr;
}

std::string childText(const Node* parent, std::string_view name) {
  const Node* c = child(parent, name);
  return c == nullptr ? std::string() : textOf(c);
}

Status expectRoot(const Node* root, std::string_view name, const char* what) {
  const std::string actual = localName(root);
  if (actual == "Error") {
    S3ErrorBody error{childText(root, "Code"), childText(root, "Message")};
    return unavailableError(std::string(what) + ": " + error.code + ": " + error.message);
  }
  if (actual != name)
    return unavailableError(std::string(what) + ": expected <" + std::string(name) + ">, got <" +
                            actual + ">");
  return Status();
}

Result<bool> parseBool(const std::string& text, const char* what) {
  if (text.empty() || text == "false") return false;
  if (text == "true") return true;
  return unavailableError(std::string(what) + ": IsTruncated is `" + text + "`");
}

// One page of a list answer (ListObjectsV2, ListMultipartUploads): the document (it owns
// `root`) and whether more pages follow.
struct ListPage {
  Poco::AutoPtr<Poco::XML::Document> document;
  const Node* root = nullptr;
  bool truncated = false;
};

// Parses a list answer with root <rootName>; a truncated one must carry <markerName>, the
// marker the next page starts from.
Result<ListPage> parseListPage(std::string_view body, const char* what, std::string_view rootName,
                               std::string_view markerName) {
  ListPage page;
  TRIB_ASSIGN_OR_RETURN(page.document, parseDocument(body, what));
  page.root = page.document->documentElement();
  TRIB_RETURN_IF_ERROR(expectRoot(page.root, rootName, what));
  TRIB_ASSIGN_OR_RETURN(page.truncated, parseBool(childText(page.root, "IsTruncated"), what));
  if (page.truncated && childText(page.root, markerName).empty())
    return unavailableError(std::string(what) + ": truncated without a " +
                            std::string(markerName));
  return page;
}

// Every <name> child of `root` read by `readEntry` (node -> Result<Entry>), in order; the
// first entry it refuses fails the page.
template <typename Entry, typename ReadEntry>
Result<std::vector<Entry>> readEntries(const Node* root, std::string_view name,
                                       ReadEntry readEntry) {
  std::vector<Entry> entries;
  for (const Node* node : children(root, name)) {
    TRIB_ASSIGN_OR_RETURN(Entry entry, readEntry(node));
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::string xmlEscaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

S3ErrorBody parseErrorBody(std::string_view body) {
  auto document = parseDocument(body, "S3 error");
  if (!document.isOk()) return {};
  const Node* root = (*document)->documentElement();
  if (localName(root) != "Error") return {};
  return S3ErrorBody{childText(root, "Code"), childText(root, "Message")};
}

Result<S3ObjectPage> parseListObjectsV2(std::string_view body) {
  constexpr const char* what = "ListObjectsV2 answer";
  TRIB_ASSIGN_OR_RETURN(ListPage list,
                        parseListPage(body, what, "ListBucketResult", "NextContinuationToken"));
  auto readObject = [&](const Node* contents) -> Result<S3Object> {
    S3Object object;
    object.key = childText(contents, "Key");
    const std::string size = childText(contents, "Size");
    char* end = nullptr;
    object.size = std::strtoull(size.c_str(), &end, 10);
    if (object.key.empty() || size.empty() || end == nullptr || *end != '\0')
      return unavailableError(std::string(what) + ": a <Contents> without a Key or a numeric Size");
    return object;
  };
  auto readPrefix = [&](const Node* common) -> Result<std::string> {
    std::string prefix = childText(common, "Prefix");
    if (prefix.empty())
      return unavailableError(std::string(what) + ": a <CommonPrefixes> without a Prefix");
    return prefix;
  };
  S3ObjectPage page;
  page.truncated = list.truncated;
  page.nextContinuationToken = childText(list.root, "NextContinuationToken");
  TRIB_ASSIGN_OR_RETURN(page.objects, readEntries<S3Object>(list.root, "Contents", readObject));
  TRIB_ASSIGN_OR_RETURN(page.commonPrefixes,
                        readEntries<std::string>(list.root, "CommonPrefixes", readPrefix));
  return page;
}

Result<std::string> parseInitiateMultipartUpload(std::string_view body) {
  constexpr const char* what = "CreateMultipartUpload answer";
  TRIB_ASSIGN_OR_RETURN(auto document, parseDocument(body, what));
  const Node* root = document->documentElement();
  TRIB_RETURN_IF_ERROR(expectRoot(root, "InitiateMultipartUploadResult", what));
  std::string uploadId = childText(root, "UploadId");
  if (uploadId.empty()) return unavailableError(std::string(what) + ": no UploadId");
  return uploadId;
}

Status parseCompleteMultipartUpload(std::string_view body) {
  constexpr const char* what = "CompleteMultipartUpload answer";
  TRIB_ASSIGN_OR_RETURN(auto document, parseDocument(body, what));
  const Node* root = document->documentElement();
  if (localName(root) == "Error") {
    const std::string code = childText(root, "Code");
    const std::string message = childText(root, "Message");
    // InternalError / SlowDown are worth a retry; InvalidPart, EntityTooSmall, ... are not.
    const bool transient = code == "InternalError" || code == "SlowDown" ||
                           code == "ServiceUnavailable";
    const std::string text = "CompleteMultipartUpload failed after HTTP 200 (" + code + ": " +
                             message + ")";
    return transient ? unavailableError(text) : failedPreconditionError(text);
  }
  return expectRoot(root, "CompleteMultipartUploadResult", what);
}

Result<S3UploadPage> parseListMultipartUploads(std::string_view body) {
  constexpr const char* what = "ListMultipartUploads answer";
  TRIB_ASSIGN_OR_RETURN(ListPage list,
                        parseListPage(body, what, "ListMultipartUploadsResult", "NextKeyMarker"));
  auto readUpload = [&](const Node* upload) -> Result<S3Upload> {
    S3Upload u;
    u.key = childText(upload, "Key");
    u.uploadId = childText(upload, "UploadId");
    if (u.key.empty() || u.uploadId.empty())
      return unavailableError(std::string(what) + ": an <Upload> without a Key or an UploadId");
    const std::string initiated = childText(upload, "Initiated");
    auto seconds = parseIso8601(initiated);
    if (!seconds.isOk())
      return unavailableError(std::string(what) + ": upload " + u.key + ": Initiated `" +
                              initiated + "` is not an ISO 8601 time");
    u.initiatedUnixSeconds = *seconds;
    return u;
  };
  S3UploadPage page;
  page.truncated = list.truncated;
  page.nextKeyMarker = childText(list.root, "NextKeyMarker");
  page.nextUploadIdMarker = childText(list.root, "NextUploadIdMarker");
  TRIB_ASSIGN_OR_RETURN(page.uploads, readEntries<S3Upload>(list.root, "Upload", readUpload));
  return page;
}

std::string completeMultipartUploadBody(const std::vector<S3CompletedPart>& parts) {
  std::string body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const S3CompletedPart& part : parts) {
    body += "<Part><PartNumber>" + std::to_string(part.number) + "</PartNumber><ETag>" +
            xmlEscaped(part.etag) + "</ETag></Part>";
  }
  body += "</CompleteMultipartUpload>";
  return body;
}

Result<long long> parseIso8601(std::string_view text) {
  Poco::DateTime parsed;
  int tzd = 0;
  const std::string s(text);
  if (s.empty() || !Poco::DateTimeParser::tryParse(s, parsed, tzd))
    return invalidArgumentError("`" + s + "` is not an ISO 8601 time");
  parsed.makeUTC(tzd);
  return static_cast<long long>(parsed.timestamp().epochTime());
}

}  // namespace tributary::storage::s3
